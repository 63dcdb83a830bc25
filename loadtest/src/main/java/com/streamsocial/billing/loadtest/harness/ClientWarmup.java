package com.streamsocial.billing.loadtest.harness;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Warms the load generator's own request path (HTTP client, mix, histograms) against a stub in this
 * JVM before the clock starts; nothing reaches the system under test. Measured: a cold harness sent
 * its first 3-4 s late, and the open loop charged that to the gateway as 0.6-1.1 s latencies.
 */
public final class ClientWarmup {
    /** Requests per second to the stub. */
    static final double RATE_PER_S = 2_000;
    /** How long; the C1 compiler has the client's paths by then, C2 most of them. */
    static final double SECONDS = 4;

    private ClientWarmup() {}

    /** Runs {@link #SECONDS} of the mix of {@code o} against a stub answering 202 on a free loopback port. */
    public static void run(Vertx vertx, OpenLoop.Options o) throws Exception {
        HttpServer stub = vertx.createHttpServer()
                .requestHandler(req -> req.body()
                        .onComplete(b -> req.response()
                                .setStatusCode(202)
                                .putHeader("content-type", "application/json")
                                .end("{\"id\":\"pay_00000000000000000000000000000000\",\"status\":\"pending\"}")))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try (OpenLoop loop = new OpenLoop(
                vertx,
                new OpenLoop.Options(
                        URI.create("http://127.0.0.1:" + stub.actualPort()),
                        o.connections(),
                        o.outstandingMax(),
                        o.mix(),
                        "client-warmup-",
                        o.tenant(),
                        o.seed(),
                        o.apiKey()),
                null)) {
            loop.runPhase(RATE_PER_S, SECONDS, line -> {}, new ArrayList<>())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get((long) (SECONDS * 1000) + OpenLoop.REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } finally {
            stub.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
