package com.streamsocial.billing.management;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The management routes both services serve: {@code /health/live} (200 when UP, else 503), {@code
 * /health/ready} (200 when ready, else 503), each with its JSON detail, and {@code /metrics} in
 * Prometheus' text format. Health and metrics are read, never computed, per request.
 */
public final class ManagementRoutes {
    private ManagementRoutes() {}

    /** Mounts the two health routes, and {@code /metrics} when {@code metrics} is given. */
    public static void mount(Router router, ServiceHealth health, ServiceMetrics metrics) {
        router.get("/health/live").handler(ctx -> {
            JsonObject live = health.liveness();
            json(ctx, "UP".equals(live.getString("status")), live);
        });
        router.get("/health/ready").handler(ctx -> {
            JsonObject ready = health.readiness();
            json(ctx, ready.getBoolean("ready"), ready);
        });
        if (metrics != null) {
            router.get("/metrics")
                    .handler(ctx -> ctx.response()
                            .putHeader("content-type", ServiceMetrics.CONTENT_TYPE)
                            .end(metrics.scrape()));
        }
    }

    /**
     * Listens with {@code router} on {@code host:port}. HTTP/1.1 only, as scrapers and probes speak it:
     * after an h2c upgrade, Vert.x 5.0.7 sent no body for a {@code /metrics} scrape of ~50 KB (the
     * client waited for good; SecretsSearchIT saw it).
     */
    public static Future<HttpServer> listen(Vertx vertx, Router router, String host, int port) {
        return vertx.createHttpServer(
                        new HttpServerOptions().setHost(host).setPort(port).setHttp2ClearTextEnabled(false))
                .requestHandler(router)
                .listen();
    }

    private static void json(RoutingContext ctx, boolean up, JsonObject body) {
        ctx.response()
                .setStatusCode(up ? 200 : 503)
                .putHeader("content-type", "application/json")
                .end(body.encode());
    }
}
