package com.streamsocial.billing.gateway.ownership;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;

/**
 * How {@code POST /v1/customers} asks the provider whose customer and payment methods an id is
 * before registering it (issue 19 §1): on, where the provider is and its key, how long it may take and
 * how many verifications a lane keeps open at most.
 */
public record VerificationConfig(
        boolean on, String providerKind, String baseUrl, String secretKey, long timeoutMs, int inFlightMax) {
    public static final String VERIFY = "gateway.ownership.verifyWithProvider";
    public static final String TIMEOUT_MS = "gateway.ownership.verifyTimeoutMs";
    public static final String IN_FLIGHT_MAX = "gateway.ownership.verifyInFlightMax";
    /** The processor's provider settings, read by the gateway too: one provider account for both. */
    public static final String PROVIDER_KIND = "provider.kind";

    public static final String PROVIDER_BASE_URL = "provider.baseUrl";
    public static final String PROVIDER_SECRET_KEY = "provider.secretKey";
    /** The processor's default: the local sandbox. */
    public static final String PROVIDER_BASE_URL_DEFAULT = "http://127.0.0.1:8090";
    /** The sandbox's well-known key, used only while the provider is on loopback and no key is set. */
    public static final String SANDBOX_SECRET_KEY = "sk_test_sandbox";

    public static final long TIMEOUT_MS_DEFAULT = 2_000;
    public static final int IN_FLIGHT_MAX_DEFAULT = 64;

    /** Verification off: tests of the registry alone. */
    public static final VerificationConfig OFF =
            new VerificationConfig(false, "stripe", PROVIDER_BASE_URL_DEFAULT, null, TIMEOUT_MS_DEFAULT, 1);

    public VerificationConfig {
        Check.argument(timeoutMs >= 100 && timeoutMs <= 30_000, TIMEOUT_MS + " must be 100..30000, got %d", timeoutMs);
        Check.argument(
                inFlightMax >= 1 && inFlightMax <= 4_096, IN_FLIGHT_MAX + " must be 1..4096, got %d", inFlightMax);
        Check.argument(
                !on || "stripe".equals(providerKind),
                VERIFY + "=true verifies with Stripe's customers and payment methods API only; with " + PROVIDER_KIND
                        + "=%s set " + VERIFY + "=false (docs/SECURITY.md)",
                providerKind);
        Check.argument(
                !on || secretKey != null,
                PROVIDER_SECRET_KEY + " is required for " + PROVIDER_BASE_URL + " %s while " + VERIFY
                        + "=true: set it in the environment as %s, or put it in a file named by"
                        + " provider.secretKeyFile",
                baseUrl,
                Settings.environmentName(PROVIDER_SECRET_KEY));
        Check.argument(
                !on || com.streamsocial.billing.gateway.webhook.WebhookConfig.httpsOrLoopback(baseUrl),
                PROVIDER_BASE_URL + " must be https:// off loopback while " + VERIFY
                        + "=true (the key is sent to it), got %s",
                baseUrl);
        while (baseUrl.endsWith("/")) {
            baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
        }
    }

    /**
     * On unless set off; with {@code dev.mode=true} and a provider other than Stripe's API (PayPal,
     * approve-all), off by default, since only Stripe's customers can be verified.
     */
    public static VerificationConfig from(Settings s) {
        String baseUrl = s.string(PROVIDER_BASE_URL, PROVIDER_BASE_URL_DEFAULT);
        String key = s.secret(PROVIDER_SECRET_KEY);
        String kind = s.string(PROVIDER_KIND, "stripe");
        boolean devMode = s.bool(OwnershipConfig.DEV_MODE, false);
        return new VerificationConfig(
                s.bool(VERIFY, "stripe".equals(kind) || !devMode),
                kind,
                baseUrl,
                key == null
                                && com.streamsocial.billing.gateway.webhook.WebhookConfig.httpsOrLoopback(baseUrl)
                                && baseUrl.startsWith("http://")
                        ? SANDBOX_SECRET_KEY
                        : key,
                s.integer(TIMEOUT_MS, (int) TIMEOUT_MS_DEFAULT),
                s.integer(IN_FLIGHT_MAX, IN_FLIGHT_MAX_DEFAULT));
    }

    /** Never the key: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "VerificationConfig[" + (on ? "on, " + providerKind + " at " + baseUrl : "off") + ", timeoutMs="
                + timeoutMs + ", inFlightMax=" + inFlightMax + "]";
    }
}
