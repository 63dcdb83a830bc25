package com.streamsocial.billing.processor.psp;

import java.net.URI;

/** Where the provider's API is, from its base URL: the adapter and reconciliation both call it. */
public record ProviderAddress(String host, int port, boolean ssl) {
    public static ProviderAddress of(String baseUrl) {
        URI uri = URI.create(baseUrl);
        boolean ssl = "https".equals(uri.getScheme());
        return new ProviderAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80, ssl);
    }
}
