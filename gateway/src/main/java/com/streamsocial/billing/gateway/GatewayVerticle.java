package com.streamsocial.billing.gateway;

import com.streamsocial.billing.auth.ApiKeyStore;
import com.streamsocial.billing.gateway.auth.ApiKeyCache;
import com.streamsocial.billing.gateway.auth.Authenticator;
import com.streamsocial.billing.gateway.dedup.CommittedIds;
import com.streamsocial.billing.gateway.http.CertificateReload;
import com.streamsocial.billing.gateway.http.OpenApiDocument;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.gateway.limit.ConnectionsPerAddress;
import com.streamsocial.billing.gateway.limit.TenantRateLimiter;
import com.streamsocial.billing.gateway.ownership.CustomerVerifier;
import com.streamsocial.billing.gateway.ownership.OwnerCache;
import com.streamsocial.billing.gateway.ownership.Ownership;
import com.streamsocial.billing.gateway.recovery.ReservationSettlement;
import com.streamsocial.billing.gateway.refund.Refunds;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.gateway.store.OwnerStore;
import com.streamsocial.billing.gateway.tracing.RequestSpans;
import com.streamsocial.billing.gateway.webhook.VerifiedTransmissions;
import com.streamsocial.billing.gateway.webhook.WebhookRoutes;
import com.streamsocial.billing.gateway.webhook.Webhooks;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.management.ManagementRoutes;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One gateway instance per event loop, wiring its parts: its own HTTP server on the shared port
 * behind its {@link HttpEdge}, the {@link TenantGate} and the {@link PaymentRoutes}, its own
 * PostgreSQL pools and its own {@link CommitLane} with one transactional producer. Vert.x spreads
 * connections over the instances, so batches fill on every lane at once.
 */
public final class GatewayVerticle extends VerticleBase {
    /** Prepared statements kept per PostgreSQL connection, at most (the hot path uses a handful). */
    static final int PG_STATEMENT_CACHE_MAX = 64;
    /** Key lookups waiting for this lane's one authentication connection, at most; beyond, 503. */
    static final int AUTH_WAIT_QUEUE_MAX = 256;

    private final GatewayConfig config;
    private final int laneIndex;
    private final String run;
    private final BatchFaults faults;
    private final GatewayMeters metrics;
    private final Health health;
    private final ReservationSettlement settlement;
    private final Limits limits;
    /** The API requests' server spans (the no-op tracer unless tracing is on). */
    private final RequestSpans spans;

    /**
     * What the lanes of one process share: the tenants' token buckets (writes and reads apart), the client addresses' buckets
     * of 401s, the open connections, the PayPal webhook transmissions verified, and the
     * payments committed to Kafka whose accepted mark is not yet written ({@link CommitLane}): a retry
     * may reach another lane than its first attempt, and must be a replay there too.
     */
    record Limits(
            TenantRateLimiter tenantWrites,
            TenantRateLimiter tenantReads,
            TenantRateLimiter authFailures,
            AtomicInteger connections,
            CommittedIds committedIds,
            ConnectionsPerAddress perAddress,
            VerifiedTransmissions paypalVerified) {}

    private Pool readPool;
    private IntentStore readStore;

    private Pool pool;
    private Pool authPool;
    private TransactionalPublisher publisher;
    private IntentStore store;
    private OwnerStore ownerStore;
    /** This lane's owner cache and checks, shared by its batches and its registrations (one event loop). */
    private Ownership ownership;
    /** Null with {@code gateway.ownership.verifyWithProvider=false}. */
    private CustomerVerifier verifier;

    private CommitLane lane;
    /** Connection caps, read deadlines and refusals before any route, for this lane's listener. */
    private HttpEdge edge;

    private HttpServer server;
    /** Watches the PEM files for a renewed certificate, when TLS is on. */
    private CertificateReload certificateReload;

    private Router router;
    /** Provider webhooks, apart from the lane's batches (issue 21 §2, package {@code webhook}). */
    private Webhooks webhooks;
    /** Refunds, apart from the lane's batches (issue 21 §1, package {@code refund}). */
    private Refunds refunds;

    public GatewayVerticle(
            GatewayConfig config,
            int laneIndex,
            String run,
            BatchFaults faults,
            GatewayMeters metrics,
            Health health,
            ReservationSettlement settlement,
            Limits limits,
            Tracing tracing) {
        this.config = config;
        this.spans = new RequestSpans(tracing);
        this.limits = limits;
        this.settlement = settlement;
        this.laneIndex = laneIndex;
        this.run = run;
        this.faults = faults;
        this.metrics = metrics;
        this.health = health;
    }

    @Override
    public Future<?> start() {
        pools();
        String transactionalId = config.instanceId() + "-lane-" + laneIndex;
        stores(transactionalId);
        publisher = new TransactionalPublisher(
                KafkaSafety.transactionalProducer(config.kafka(), transactionalId, config.transactionTimeoutMs()),
                metrics.commitRetries);
        health.register(publisher);
        lane = new CommitLane(
                vertx,
                context,
                config,
                publisher,
                store,
                settlement,
                faults,
                metrics,
                limits.committedIds(),
                ownership);
        metrics.gauge(
                "gateway.queue.records", "Requests queued in a lane", String.valueOf(laneIndex), lane::queuedRecords);
        edge = new HttpEdge(vertx, context, config, metrics, health, limits);
        return Future.fromCompletionStage(publisher.start(), context)
                .compose(v -> Webhooks.start(
                        vertx,
                        context,
                        config.webhooks(),
                        config.pgConnect(),
                        config.kafka(),
                        transactionalId + "-webhooks",
                        config.transactionTimeoutMs(),
                        metrics.service().registry(),
                        config.retryAfterS(),
                        limits.paypalVerified()))
                .onSuccess(w -> webhooks = w)
                .compose(v -> Refunds.start(
                        vertx,
                        context,
                        config.pgConnect(),
                        config.kafka(),
                        transactionalId + "-refunds",
                        config.transactionTimeoutMs(),
                        metrics.service().registry(),
                        config.retryAfterS()))
                .onSuccess(r -> refunds = r)
                .compose(v -> vertx.createHttpServer(HttpEdge.serverOptions(config))
                        .connectionHandler(edge::connected)
                        .requestHandler(edge.requestArrives(router = router()))
                        .invalidRequestHandler(HttpEdge::invalidRequest)
                        .listen())
                .onSuccess(s -> server = s)
                .compose(this::watchCertificate);
    }

    /** The lane's pools: its batches', its key lookups' and its reads', apart. */
    private void pools() {
        pool = PgBuilder.pool()
                .with(new PoolOptions()
                        .setMaxSize(Math.max(2, config.pgPoolSizeMax() / config.producers()))
                        .setMaxWaitQueueSize(1_000))
                // Prepared statements cached per connection: the hot path's statements are fixed texts, so
                // each is parsed and planned once per connection instead of once per batch.
                .connectingTo(config.pgConnect()
                        .setPipeliningLimit(16)
                        .setCachePreparedStatements(true)
                        .setPreparedStatementCacheMaxSize(PG_STATEMENT_CACHE_MAX))
                .using(vertx)
                .build();
        // Its own connection: key lookups never wait behind a lane's batches.
        authPool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1).setMaxWaitQueueSize(AUTH_WAIT_QUEUE_MAX))
                .connectingTo(config.pgConnect().setCachePreparedStatements(true))
                .using(vertx)
                .build();
        // Reads on their own small pool with a short queue: a GET flood gets fast 503s, never the lane's
        // connections, so ingest keeps its pool.
        readPool = PgBuilder.pool()
                .with(new PoolOptions()
                        .setMaxSize(Math.max(1, config.pgReadPoolSizeMax() / config.producers()))
                        .setMaxWaitQueueSize(config.readsQueuedMax()))
                .connectingTo(config.pgConnect().setCachePreparedStatements(true))
                .using(vertx)
                .build();
    }

    /** With TLS, reloads a renewed certificate from the same files ({@code http.tls.reloadCheckMs}). */
    private Future<Void> watchCertificate(HttpServer s) {
        if (!config.tls() || config.tlsReloadCheckMs() == 0) {
            return Future.succeededFuture();
        }
        return CertificateReload.start(vertx, s, config.tlsCertPath(), config.tlsKeyPath(), config.tlsReloadCheckMs())
                .onSuccess(r -> certificateReload = r)
                .mapEmpty();
    }

    /** The lane's stores over its pools, and its ownership registry's cache and checks. */
    private void stores(String transactionalId) {
        IntentStore.Owner owner = new IntentStore.Owner(config.instanceId(), transactionalId, run);
        store = new IntentStore(pool, owner, config.ownership().firstUse());
        readStore = new IntentStore(readPool, owner);
        ownerStore = new OwnerStore(pool);
        ownership = new Ownership(
                config.ownership(), new OwnerCache(config.ownership().cacheEntriesMax()));
        verifier = config.ownership().verification().on()
                ? new CustomerVerifier(vertx, config.ownership().verification(), metrics::customerVerification)
                : null;
    }

    /**
     * The lane's routes, in the order a request meets them: the edge's filters, the webhooks (signed by
     * their provider), the API key's gate, the payment routes, then the public health and document.
     */
    private Router router() {
        Router router = Router.router(vertx);
        edge.mountFilters(router);
        // Provider webhooks: authenticated by the provider's signature, never an API key. Their routes end
        // every request they match, so the API key's route below never runs for them.
        router.route(WebhookRoutes.PATH_PREFIX + "*").handler(edge::bodyReadDeadline);
        webhooks.mount(router);
        // The API key first, before the body is read and before any Kafka or provider work.
        TenantGate gate = new TenantGate(
                new Authenticator(
                        new ApiKeyStore(authPool),
                        new ApiKeyCache(
                                config.authCacheTtlMs(),
                                config.authCacheEntriesMax(),
                                config.authRefusedCacheEntriesMax()),
                        System::currentTimeMillis),
                limits,
                metrics,
                config.retryAfterS());
        // A payment's and a refund's trace start here (or go on from the request's traceparent), before
        // the key is checked, so their spans time the whole request.
        router.post("/v1/payments").handler(spans.handler("POST /v1/payments"));
        router.post("/v1/payments/:id/refunds").handler(spans.handler("POST /v1/payments/{id}/refunds"));
        router.route("/v1/*").handler(gate::authenticate);
        new PaymentRoutes(lane, readStore, readPool, refunds, ownerStore, ownership, verifier, config, metrics)
                .mount(router, edge);
        // Up or down only, for a load balancer; the detail and /metrics are on the management listener.
        mountPublicHealth(router, health);
        // No authentication: the API's description is public, as Stripe's is.
        router.get("/openapi.json")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "application/json")
                        .end(OpenApiDocument.json()));
        HttpEdge.mountErrors(router);
        return router;
    }

    /**
     * Every route as {@code METHOD /path}, with path parameters in OpenAPI's form ({@code {id}}), so
     * that a test can hold the OpenAPI document to the router. Empty before the verticle started.
     */
    List<String> routes() {
        List<String> out = new ArrayList<>();
        if (router == null) {
            return out;
        }
        for (io.vertx.ext.web.Route r : router.getRoutes()) {
            String path = r.getPath() == null ? "*" : r.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
            if (r.methods() == null && (r.getPath() == null || path.endsWith("/"))) {
                // A filter (every request's Connection header while draining; authentication of /v1/*),
                // not an operation: it answers nothing itself.
                continue;
            } else if (r.methods() == null) {
                out.add("* " + path);
            } else {
                r.methods().forEach(m -> out.add(m.name() + " " + path));
            }
        }
        return out;
    }

    /**
     * The public listener's health: the status code and {@code {"status":"UP"}} or {@code "DOWN"},
     * nothing else (no component, no exception text), so it tells an outsider nothing about the
     * dependencies. The detail is on the management listener ({@link ManagementRoutes}).
     */
    static void mountPublicHealth(Router router, Health health) {
        router.get("/health/live")
                .handler(ctx -> upOrDown(ctx, "UP".equals(health.liveness().getString("status"))));
        router.get("/health/ready")
                .handler(ctx -> upOrDown(ctx, health.readiness().getBoolean("ready")));
    }

    private static void upOrDown(RoutingContext ctx, boolean up) {
        ctx.response()
                .setStatusCode(up ? 200 : 503)
                .putHeader("content-type", "application/json")
                .end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
    }

    /**
     * The drain of this lane, on its context: no new payment is queued, the batches queued or in
     * flight commit or abort and their clients are answered. Completes when the lane holds nothing.
     */
    Future<Void> drainLane() {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> lane.drain().onComplete(done));
        return done.future();
    }

    /**
     * Stops listening: connections without a request in progress close now; those with one close once
     * its answer is written, or at {@code graceMs}. New connections are refused from now on.
     */
    Future<Void> shutdownListener(long graceMs) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> (server == null
                        ? Future.<Void>succeededFuture()
                        : server.shutdown(Math.max(0, graceMs), java.util.concurrent.TimeUnit.MILLISECONDS))
                .onComplete(done));
        return done.future();
    }

    @Override
    public Future<?> stop() {
        if (certificateReload != null) {
            certificateReload.stop();
        }
        Future<Void> closeServer = server == null ? Future.succeededFuture() : server.close();
        return closeServer
                .compose(v -> vertx.executeBlocking(() -> {
                    publisher.close();
                    return null;
                }))
                .compose(v -> webhooks == null ? Future.succeededFuture() : webhooks.close(vertx))
                .compose(v -> refunds == null ? Future.succeededFuture() : refunds.close(vertx))
                .compose(v -> verifier == null ? Future.succeededFuture() : verifier.close())
                .compose(v -> pool.close())
                .compose(v -> authPool.close())
                .compose(v -> readPool.close());
    }
}
