package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.Check;

/**
 * The provider account reconciliation reads and repairs: which API ({@code stripe} or {@code
 * paypal}), where, and its credentials (Stripe's secret key; PayPal's OAuth2 client id and secret).
 * Its {@link #toString()} never prints a secret.
 */
public record ProviderAccount(String kind, String baseUrl, String secretKey, String clientId, String clientSecret) {
    public ProviderAccount {
        Check.argument(
                "stripe".equals(kind) || "paypal".equals(kind),
                "reconciliation reads a stripe or paypal account, not %s",
                kind);
        Check.argument(baseUrl != null && !baseUrl.isEmpty(), "the provider's base URL must be set");
    }

    public static ProviderAccount stripe(String baseUrl, String secretKey) {
        return new ProviderAccount("stripe", baseUrl, secretKey, null, null);
    }

    public static ProviderAccount paypal(String baseUrl, String clientId, String clientSecret) {
        return new ProviderAccount("paypal", baseUrl, null, clientId, clientSecret);
    }

    @Override
    public String toString() {
        return "ProviderAccount[" + kind + " " + baseUrl + (clientId != null ? ", clientId=" + clientId : "")
                + ", secret=****]";
    }
}
