package com.streamsocial.billing.processor.psp;

import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;

/**
 * Where the provider's API is, from its base URL: the adapter and reconciliation both call it. A
 * path in the base URL is kept as a prefix, so that a wrong one shows as the provider's 404.
 */
public record ProviderAddress(String host, int port, boolean ssl, String basePath) {
    public static ProviderAddress of(String baseUrl) {
        URI uri = URI.create(baseUrl);
        boolean ssl = "https".equals(uri.getScheme());
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new ProviderAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80, ssl, path);
    }

    /**
     * The adapters' HTTP client to this address: TLS when the URL says https, kept-alive connections,
     * at most {@code inFlightMax} of them, connecting within {@code callTimeoutMs}.
     */
    public WebClient client(Vertx vertx, long callTimeoutMs, int inFlightMax) {
        return WebClient.create(
                vertx,
                new WebClientOptions().setSsl(ssl).setKeepAlive(true).setConnectTimeout((int)
                        Math.min(callTimeoutMs, Integer.MAX_VALUE)),
                new PoolOptions().setHttp1MaxSize(inFlightMax));
    }

    /** {@code apiPath} (such as {@code /v1/payment_intents}) under the base URL's path. */
    public String path(String apiPath) {
        return basePath + apiPath;
    }
}
