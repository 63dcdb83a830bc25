package com.streamsocial.billing.gateway;

import com.streamsocial.billing.contract.KafkaSafety;
import com.streamsocial.billing.contract.Metrics;
import com.streamsocial.billing.contract.PaymentIds;
import com.streamsocial.billing.gateway.http.PaymentView;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.gateway.recovery.ReservationSettlement;
import com.streamsocial.billing.gateway.store.IntentStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;

/**
 * One gateway instance per event loop: its own HTTP server on the shared port, its own PostgreSQL
 * pool and its own {@link CommitLane} with one transactional producer. Vert.x spreads connections
 * over the instances, so batches fill on every lane at once.
 */
public final class GatewayVerticle extends VerticleBase {
    /** Prepared statements kept per PostgreSQL connection, at most (the hot path uses a handful). */
    static final int PG_STATEMENT_CACHE_MAX = 64;

    private final GatewayConfig config;
    private final int laneIndex;
    private final String run;
    private final BatchFaults faults;
    private final Metrics metrics;
    private final Health health;
    private final ReservationSettlement settlement;

    private Pool pool;
    private TransactionalPublisher publisher;
    private IntentStore store;
    private CommitLane lane;
    private HttpServer server;

    public GatewayVerticle(
            GatewayConfig config,
            int laneIndex,
            String run,
            BatchFaults faults,
            Metrics metrics,
            Health health,
            ReservationSettlement settlement) {
        this.config = config;
        this.settlement = settlement;
        this.laneIndex = laneIndex;
        this.run = run;
        this.faults = faults;
        this.metrics = metrics;
        this.health = health;
    }

    @Override
    public Future<?> start() {
        pool = PgBuilder.pool()
                .with(new PoolOptions()
                        .setMaxSize(Math.max(2, config.pgPoolSizeMax() / config.producers()))
                        .setMaxWaitQueueSize(1_000))
                // Prepared statements cached per connection: the hot path's statements are fixed texts, so
                // each is parsed and planned once per connection instead of once per batch.
                .connectingTo(PgConnectOptions.fromUri(config.pgUri())
                        .setPipeliningLimit(16)
                        .setCachePreparedStatements(true)
                        .setPreparedStatementCacheMaxSize(PG_STATEMENT_CACHE_MAX))
                .using(vertx)
                .build();
        String transactionalId = config.instanceId() + "-lane-" + laneIndex;
        store = new IntentStore(pool, new IntentStore.Owner(config.instanceId(), transactionalId, run));
        publisher = new TransactionalPublisher(
                KafkaSafety.transactionalProducer(config.kafka(), transactionalId, config.transactionTimeoutMs()),
                metrics.counter(
                        "gateway_commit_retries_total", "Kafka commits tried again after a timeout (same commit)"));
        health.register(publisher);
        lane = new CommitLane(vertx, context, config, publisher, store, settlement, faults, metrics);
        metrics.gauge(
                "gateway_queue_records{lane=\"" + laneIndex + "\"}", "Requests waiting in a lane", lane::queuedRecords);
        return Future.fromCompletionStage(publisher.start(), context)
                .compose(v -> vertx.createHttpServer(new HttpServerOptions()
                                .setHost(config.httpHost())
                                .setPort(config.httpPort())
                                .setMaxInitialLineLength(4096)
                                .setMaxHeaderSize(8192))
                        .requestHandler(router())
                        .invalidRequestHandler(GatewayVerticle::invalidRequest)
                        .listen())
                .onSuccess(s -> server = s);
    }

    private Router router() {
        Router router = Router.router(vertx);
        // The key is checked first, on its own route, so a request without one is refused unread.
        router.post("/v1/payments").handler(this::requireKey);
        router.post("/v1/payments")
                .handler(BodyHandler.create(false).setBodyLimit(RequestValidator.BODY_BYTES_MAX))
                .handler(this::createPayment);
        router.get("/v1/payments/:id").handler(this::getPayment);
        router.get("/health/live").handler(ctx -> {
            JsonObject live = health.liveness();
            ctx.response()
                    .setStatusCode("UP".equals(live.getString("status")) ? 200 : 503)
                    .putHeader("content-type", "application/json")
                    .end(live.encode());
        });
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(metrics.render()));
        router.errorHandler(413, ctx -> problem(ctx, RequestValidator.tooLarge()));
        router.errorHandler(404, ctx -> problem(ctx, Problem.of(404, "not-found", "Not found", "no such resource")));
        router.errorHandler(
                405,
                ctx -> problem(
                        ctx,
                        Problem.of(
                                405,
                                "method-not-allowed",
                                "Method not allowed",
                                ctx.request().method() + " is not allowed here")));
        router.errorHandler(
                500,
                ctx -> problem(
                        ctx, Problem.of(500, "internal-error", "Internal error", "the request could not be handled")));
        return router;
    }

    /**
     * A request the HTTP codec could not decode (a control character in a header value, a line or
     * header block over its limit) still gets a problem+json answer, then the connection closes, as
     * the codec cannot tell where the next request starts. The codec has dropped the headers by now,
     * so the field named is {@code headers} (or {@code request-line}).
     */
    private static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        Problem p;
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            p = new Problem(
                    414,
                    "request-line-too-long",
                    "The request line is too long",
                    "the request line is over its limit",
                    List.of(new Problem.FieldError("request-line", "too long")),
                    null);
        } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            p = new Problem(
                    431,
                    "headers-too-large",
                    "The request headers are too large",
                    "the request headers are over their limit",
                    List.of(new Problem.FieldError("headers", "too large")),
                    null);
        } else {
            String why = cause == null || cause.getMessage() == null ? "not valid HTTP" : cause.getMessage();
            p = new Problem(
                    400,
                    "malformed-request",
                    "The request is not valid HTTP",
                    "a header or the request line holds a character HTTP does not allow: " + why,
                    List.of(new Problem.FieldError("headers", why)),
                    null);
        }
        request.response()
                .setStatusCode(p.status())
                .putHeader("content-type", Problem.MEDIA_TYPE)
                .putHeader("connection", "close")
                .end(p.toJson(null).encode())
                .onComplete(ignored -> request.connection().close());
    }

    /** Refuses a request without a valid key before its body is read. */
    private void requireKey(RoutingContext ctx) {
        Problem p = RequestValidator.checkKey(ctx.request().getHeader("Idempotency-Key"));
        if (p != null) {
            problem(ctx, p);
        } else {
            ctx.next();
        }
    }

    private void createPayment(RoutingContext ctx) {
        RequestValidator.Result result = RequestValidator.validate(
                config.tenant(),
                ctx.request().getHeader("Idempotency-Key"),
                ctx.request().getHeader("Content-Type"),
                ctx.body().buffer());
        if (result.problem() != null) {
            metrics.counter("gateway_requests_invalid_total", "Requests refused as invalid (4xx)")
                    .increment();
            problem(ctx, result.problem());
            return;
        }
        var request = result.request();
        lane.submit(request, recordBytes(request)).onComplete(ar -> {
            if (ar.failed()) {
                problem(
                        ctx,
                        Problem.unavailable(
                                "unavailable",
                                "the payment was not accepted; retry with the same key",
                                config.retryAfterS()));
                return;
            }
            CommitLane.Answer a = ar.result();
            switch (a.kind()) {
                case ACCEPTED -> payment(ctx, 202, PaymentView.of(request, "pending", null), false);
                case REPLAYED -> {
                    String status = PaymentView.publicStatus(a.ledgerStatus());
                    payment(
                            ctx,
                            "pending".equals(status) ? 202 : 200,
                            PaymentView.of(request, status, a.failureCode()),
                            true);
                }
                case IN_FLIGHT ->
                    problem(
                            ctx,
                            new Problem(
                                    409,
                                    "request-in-flight",
                                    "A request with this key is in progress",
                                    "a request with the same Idempotency-Key is still being processed; retry later",
                                    List.of(),
                                    config.retryAfterS()));
                case KEY_REUSED ->
                    problem(
                            ctx,
                            new Problem(
                                    422,
                                    "idempotency-key-reused",
                                    "Idempotency-Key reused with a different request",
                                    "this Idempotency-Key was used with a different request body",
                                    List.of(new Problem.FieldError("Idempotency-Key", "reused with a different body")),
                                    null));
                case UNAVAILABLE ->
                    problem(
                            ctx,
                            Problem.unavailable(
                                    a.reason(),
                                    "the payment was not accepted (" + a.reason()
                                            + "); retrying with the same key is safe",
                                    config.retryAfterS()));
            }
        });
    }

    /**
     * What a request adds to its batch's transaction, for {@code gateway.batchBytesMax}: the billing
     * event (the request plus ids and keys) and the metrics event, both JSON, bounded by three times
     * the canonical request, which is itself at most the 16 KiB body.
     */
    private static int recordBytes(com.streamsocial.billing.gateway.http.PaymentRequest request) {
        return 3 * request.canonical().length() + 2 * request.idempotencyKey().length();
    }

    private void getPayment(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!PaymentIds.looksLikePaymentId(id)) {
            problem(ctx, Problem.of(404, "payment-not-found", "Payment not found", "no payment has this id"));
            return;
        }
        store.find(id).onComplete(ar -> {
            if (ar.failed()) {
                problem(
                        ctx,
                        Problem.unavailable(
                                "store_unavailable", "the payment store is unreachable", config.retryAfterS()));
            } else if (ar.result().isEmpty()) {
                problem(ctx, Problem.of(404, "payment-not-found", "Payment not found", "no payment has this id"));
            } else {
                var p = ar.result().get();
                payment(
                        ctx,
                        200,
                        PaymentView.of(
                                id,
                                PaymentView.publicStatus(p.ledgerStatus()),
                                p.failureCode(),
                                new JsonObject(p.request())),
                        false);
            }
        });
    }

    private void ready(RoutingContext ctx) {
        JsonObject status = health.readiness();
        ctx.response()
                .setStatusCode(status.getBoolean("ready") ? 200 : 503)
                .putHeader("content-type", "application/json")
                .end(status.encode());
    }

    private static void payment(RoutingContext ctx, int status, JsonObject body, boolean replayed) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("content-type", "application/json");
        r.putHeader("Location", "/v1/payments/" + body.getString("id"));
        if (replayed) {
            r.putHeader("Idempotent-Replayed", "true");
        }
        r.end(body.encode());
    }

    static void problem(RoutingContext ctx, Problem p) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(p.status()).putHeader("content-type", Problem.MEDIA_TYPE);
        if (p.retryAfterS() != null) {
            r.putHeader("Retry-After", String.valueOf(p.retryAfterS()));
        }
        r.end(p.toJson(ctx.request().path()).encode());
    }

    @Override
    public Future<?> stop() {
        Future<Void> closeServer = server == null ? Future.succeededFuture() : server.close();
        return closeServer
                .compose(v -> vertx.executeBlocking(() -> {
                    publisher.close();
                    return null;
                }))
                .compose(v -> pool.close());
    }
}
