package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import java.util.Arrays;
import java.util.List;

/**
 * The provider webhooks' settings (issue 21 §2): Stripe's endpoint secrets (several while one is
 * rotated), the signature's tolerance and the largest body read; PayPal's webhook id, where its
 * verify-webhook-signature API is, its credentials and how long a verification may take. A provider
 * not configured has no endpoint (404): webhooks are off until configured, so nothing unsigned is
 * ever taken.
 */
public record WebhookConfig(
        List<String> stripeSecrets,
        long stripeToleranceS,
        int bodyBytesMax,
        String paypalWebhookId,
        String paypalBaseUrl,
        String paypalClientId,
        String paypalClientSecret,
        long paypalVerifyTimeoutMs) {
    public static final String STRIPE_SECRET = "webhook.stripe.secret";
    public static final String PAYPAL_WEBHOOK_ID = "webhook.paypal.webhookId";
    public static final String PAYPAL_BASE_URL = "webhook.paypal.baseUrl";
    public static final String PAYPAL_CLIENT_ID = "webhook.paypal.clientId";
    public static final String PAYPAL_CLIENT_SECRET = "webhook.paypal.clientSecret";
    public static final String PAYPAL_VERIFY_TIMEOUT_MS = "webhook.paypal.verifyTimeoutMs";

    /** PayPal's live API; its sandbox is {@code https://api-m.sandbox.paypal.com}. */
    public static final String PAYPAL_BASE_URL_DEFAULT = "https://api-m.paypal.com";

    /**
     * Well under PayPal's own wait for a webhook's answer, so that a slow verification ends in a 503
     * that PayPal retries rather than in PayPal's timeout.
     */
    public static final long PAYPAL_VERIFY_TIMEOUT_MS_DEFAULT = 5_000;

    public static final String STRIPE_TOLERANCE_S = "webhook.stripe.toleranceS";
    public static final String BODY_BYTES_MAX = "webhook.bodyBytesMax";

    /** Stripe's events are a few KB; an expanded object stays well under this. */
    public static final int BODY_BYTES_MAX_DEFAULT = 256 * 1024;

    /** Body limits allowed: at least a small event, at most what a lane should buffer for one request. */
    static final int BODY_BYTES_MIN = 1_024;

    static final int BODY_BYTES_LIMIT = 4 * 1024 * 1024;

    public WebhookConfig {
        Check.argument(
                stripeSecrets.size() <= StripeSignature.SECRETS_MAX,
                STRIPE_SECRET + " holds at most %d comma-separated secrets, got %d",
                StripeSignature.SECRETS_MAX,
                stripeSecrets.size());
        Check.argument(
                stripeToleranceS >= 1 && stripeToleranceS <= 3_600,
                STRIPE_TOLERANCE_S + " must be 1..3600, got %d",
                stripeToleranceS);
        Check.argument(
                bodyBytesMax >= BODY_BYTES_MIN && bodyBytesMax <= BODY_BYTES_LIMIT,
                BODY_BYTES_MAX + " must be %d..%d, got %d",
                BODY_BYTES_MIN,
                BODY_BYTES_LIMIT,
                bodyBytesMax);
        Check.argument(
                paypalWebhookId == null || (paypalClientId != null && paypalClientSecret != null),
                PAYPAL_WEBHOOK_ID + " needs " + PAYPAL_CLIENT_ID + " and " + PAYPAL_CLIENT_SECRET
                        + " (the credentials of PayPal's verify-webhook-signature API)");
        Check.argument(
                paypalVerifyTimeoutMs >= 100 && paypalVerifyTimeoutMs <= 30_000,
                PAYPAL_VERIFY_TIMEOUT_MS + " must be 100..30000, got %d",
                paypalVerifyTimeoutMs);
        Check.argument(
                paypalWebhookId == null || httpsOrLoopback(paypalBaseUrl),
                PAYPAL_BASE_URL + " must be https:// off loopback (the client secret is sent to it); http:// only"
                        + " for a sandbox on 127.0.0.1 or localhost");
        stripeSecrets = List.copyOf(stripeSecrets);
        while (paypalBaseUrl != null && paypalBaseUrl.endsWith("/")) {
            paypalBaseUrl = paypalBaseUrl.substring(0, paypalBaseUrl.length() - 1);
        }
    }

    /**
     * {@code webhook.stripe.secret} is a secret ({@code BILLING_WEBHOOK_STRIPE_SECRET} or {@code
     * webhook.stripe.secretFile}, never {@code -D}): the current secret first, then those rotated out,
     * comma-separated.
     */
    public static WebhookConfig from(Settings s) {
        String secrets = s.secret(STRIPE_SECRET);
        return new WebhookConfig(
                secrets == null
                        ? List.of()
                        : Arrays.stream(secrets.split(","))
                                .map(String::strip)
                                .filter(x -> !x.isEmpty())
                                .toList(),
                s.integer(STRIPE_TOLERANCE_S, (int) StripeSignature.TOLERANCE_S_DEFAULT),
                s.integer(BODY_BYTES_MAX, BODY_BYTES_MAX_DEFAULT),
                s.string(PAYPAL_WEBHOOK_ID, null),
                s.string(PAYPAL_BASE_URL, PAYPAL_BASE_URL_DEFAULT),
                s.string(PAYPAL_CLIENT_ID, null),
                s.secret(PAYPAL_CLIENT_SECRET),
                s.integer(PAYPAL_VERIFY_TIMEOUT_MS, (int) PAYPAL_VERIFY_TIMEOUT_MS_DEFAULT));
    }

    /** An {@code https} URL, or {@code http} to a loopback host ({@code 127.0.0.1}, {@code localhost}). */
    public static boolean httpsOrLoopback(String url) {
        if (url == null) {
            return false;
        }
        if (url.startsWith("https://")) {
            return url.length() > "https://".length();
        }
        if (!url.startsWith("http://")) {
            return false;
        }
        String host = url.substring("http://".length()).split("[:/]", 2)[0];
        return host.equals("127.0.0.1") || host.equalsIgnoreCase("localhost");
    }

    /** PayPal webhooks are on once PayPal's webhook id is set. */
    public boolean paypalOn() {
        return paypalWebhookId != null;
    }

    public boolean stripeOn() {
        return !stripeSecrets.isEmpty();
    }

    /** Never the secrets: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "WebhookConfig[stripe " + (stripeOn() ? stripeSecrets.size() + " secret(s)" : "off") + ", toleranceS="
                + stripeToleranceS + ", bodyBytesMax=" + bodyBytesMax + ", paypal "
                + (paypalOn() ? "webhook " + paypalWebhookId + " at " + paypalBaseUrl : "off") + "]";
    }
}
