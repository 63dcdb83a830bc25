package com.streamsocial.billing.processor.psp;

import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;

/**
 * Where the provider's API is, from its base URL: the adapter and reconciliation both call it. A
 * path in the base URL is kept as a prefix, so that a wrong one shows as the provider's 404. Off
 * loopback only {@code https} is taken: the secret key travels in every request's header.
 */
public record ProviderAddress(String host, int port, boolean ssl, String basePath) {
    /** Refuses a plaintext URL to anything but a loopback address (IllegalArgumentException, at start). */
    public static ProviderAddress of(String baseUrl) {
        URI uri = URI.create(baseUrl);
        boolean ssl = "https".equals(uri.getScheme());
        if (!ssl && !loopback(uri.getHost())) {
            throw new IllegalArgumentException("the provider's base URL must be https off loopback (the secret key"
                    + " is sent with every call); http is only for a sandbox on 127.0.0.1, ::1 or localhost");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new ProviderAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80, ssl, path);
    }

    /** A host literal on the loopback interface; names are not resolved (no DNS at start). */
    static boolean loopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost") || h.equals("::1") || h.matches("127(\\.[0-9]{1,3}){3}");
    }

    /**
     * The adapters' HTTP clients to this address: TLS when the URL says https, kept-alive connections,
     * at most {@code inFlightMax} of them in all, connecting within {@code callTimeoutMs}.
     */
    public ProviderClients clients(Vertx vertx, long callTimeoutMs, int inFlightMax) {
        return ProviderClients.create(
                inFlightMax,
                poolSizeMax -> WebClient.create(
                        vertx, options(ssl, callTimeoutMs), new PoolOptions().setHttp1MaxSize(poolSizeMax)));
    }

    /**
     * Every provider client's options, reconciliation's too: redirects are never followed, because a
     * followed redirect would carry the {@code Authorization: Bearer} header to wherever it points.
     */
    public static WebClientOptions options(boolean ssl, long callTimeoutMs) {
        return new WebClientOptions()
                .setSsl(ssl)
                .setKeepAlive(true)
                .setFollowRedirects(false)
                .setConnectTimeout((int) Math.min(callTimeoutMs, Integer.MAX_VALUE));
    }

    /** {@code apiPath} (such as {@code /v1/payment_intents}) under the base URL's path. */
    public String path(String apiPath) {
        return basePath + apiPath;
    }
}
