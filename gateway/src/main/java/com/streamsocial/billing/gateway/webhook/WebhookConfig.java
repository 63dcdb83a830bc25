package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import java.util.Arrays;
import java.util.List;

/**
 * The provider webhooks' settings (issue 21 §2): Stripe's endpoint secrets (several while one is
 * rotated), the signature's tolerance and the largest body read. A provider without a secret has no
 * endpoint (404): webhooks are off until configured, so nothing unsigned is ever taken.
 */
public record WebhookConfig(List<String> stripeSecrets, long stripeToleranceS, int bodyBytesMax) {
    public static final String STRIPE_SECRET = "webhook.stripe.secret";
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
        stripeSecrets = List.copyOf(stripeSecrets);
    }

    /** Webhooks off: no provider has an endpoint. */
    public static final WebhookConfig OFF =
            new WebhookConfig(List.of(), StripeSignature.TOLERANCE_S_DEFAULT, BODY_BYTES_MAX_DEFAULT);

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
                s.integer(BODY_BYTES_MAX, BODY_BYTES_MAX_DEFAULT));
    }

    public boolean stripeOn() {
        return !stripeSecrets.isEmpty();
    }

    /** Never the secrets: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "WebhookConfig[stripe " + (stripeOn() ? stripeSecrets.size() + " secret(s)" : "off") + ", toleranceS="
                + stripeToleranceS + ", bodyBytesMax=" + bodyBytesMax + "]";
    }
}
