package com.streamsocial.billing.gateway;

import com.streamsocial.billing.auth.ApiKeyStore;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.auth.ApiKeyCache;
import com.streamsocial.billing.gateway.auth.Authenticator;
import com.streamsocial.billing.gateway.dedup.CommittedIds;
import com.streamsocial.billing.gateway.http.CertificateReload;
import com.streamsocial.billing.gateway.http.CustomerRegistration;
import com.streamsocial.billing.gateway.http.HeaderCheck;
import com.streamsocial.billing.gateway.http.OpenApiDocument;
import com.streamsocial.billing.gateway.http.PaymentView;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.ReadDeadline;
import com.streamsocial.billing.gateway.http.RefundRequestValidator;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.gateway.http.TlsPolicy;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.gateway.limit.ConnectionsPerAddress;
import com.streamsocial.billing.gateway.limit.TenantRateLimiter;
import com.streamsocial.billing.gateway.ownership.OwnedKind;
import com.streamsocial.billing.gateway.ownership.OwnerCache;
import com.streamsocial.billing.gateway.ownership.Ownership;
import com.streamsocial.billing.gateway.recovery.ReservationSettlement;
import com.streamsocial.billing.gateway.refund.RefundView;
import com.streamsocial.billing.gateway.refund.Refunds;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.gateway.store.OwnerStore;
import com.streamsocial.billing.gateway.webhook.VerifiedTransmissions;
import com.streamsocial.billing.gateway.webhook.Webhooks;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.metrics.ServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One gateway instance per event loop: its own HTTP server on the shared port (connection caps, a
 * read deadline on every request, refusals of an unread body close the connection), its own PostgreSQL
 * pool and its own {@link CommitLane} with one transactional producer. Vert.x spreads connections
 * over the instances, so batches fill on every lane at once.
 */
public final class GatewayVerticle extends VerticleBase {
    /** Prepared statements kept per PostgreSQL connection, at most (the hot path uses a handful). */
    static final int PG_STATEMENT_CACHE_MAX = 64;
    /** Key lookups waiting for this lane's one authentication connection, at most; beyond, 503. */
    static final int AUTH_WAIT_QUEUE_MAX = 256;
    /** Where the authenticated tenant travels from the authentication handler to the route. */
    private static final String TENANT = "billing.tenant";

    private final GatewayConfig config;
    private final int laneIndex;
    private final String run;
    private final BatchFaults faults;
    private final GatewayMeters metrics;
    private final Health health;
    private final ReservationSettlement settlement;
    private final Limits limits;

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

    /** Each open connection's read deadline: every request's head must arrive in time (slowloris). */
    private final Map<HttpConnection, ReadDeadline> deadlines = new IdentityHashMap<>();

    /**
     * Connections whose current answer ends them: a request pipelined behind it (a smuggled one, after
     * a refused header block or a chunked body) is never routed, only the connection closed.
     */
    private final java.util.Set<HttpConnection> closing = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    private Pool readPool;
    private IntentStore readStore;

    private Pool pool;
    private Pool authPool;
    private Authenticator authenticator;
    private TransactionalPublisher publisher;
    private IntentStore store;
    private OwnerStore ownerStore;
    /** This lane's owner cache and checks, shared by its batches and its registrations (one event loop). */
    private Ownership ownership;

    private CommitLane lane;
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
            Limits limits) {
        this.config = config;
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
        authenticator = new Authenticator(
                new ApiKeyStore(authPool),
                new ApiKeyCache(
                        config.authCacheTtlMs(), config.authCacheEntriesMax(), config.authRefusedCacheEntriesMax()),
                System::currentTimeMillis);
        // Reads on their own small pool with a short queue: a GET flood gets fast 503s, never the lane's
        // connections, so ingest keeps its pool.
        readPool = PgBuilder.pool()
                .with(new PoolOptions()
                        .setMaxSize(Math.max(1, config.pgReadPoolSizeMax() / config.producers()))
                        .setMaxWaitQueueSize(config.readsQueuedMax()))
                .connectingTo(config.pgConnect().setCachePreparedStatements(true))
                .using(vertx)
                .build();
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
                .compose(v -> vertx.createHttpServer(serverOptions()
                                .setHost(config.httpHost())
                                .setPort(config.httpPort())
                                // Longest request line and header block; beyond, 414 and 431 (invalidRequest).
                                .setMaxInitialLineLength(config.httpRequestLineBytesMax())
                                .setMaxHeaderSize(config.httpHeaderBytesMax())
                                .setIdleTimeout(config.httpIdleTimeoutS())
                                // HTTP/1.1 only: an h2c upgrade would swap the connection object under
                                // the connection cap and the first-request deadline.
                                .setHttp2ClearTextEnabled(false))
                        .connectionHandler(this::connected)
                        .requestHandler(requestArrives(router = router()))
                        .invalidRequestHandler(GatewayVerticle::invalidRequest)
                        .listen())
                .onSuccess(s -> server = s)
                .compose(this::watchCertificate);
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
    }

    /**
     * Counts the connection against {@code http.connectionsMax} and {@code
     * http.connectionsPerAddressMax} (closing it at once beyond either cap, counted), and gives it a
     * {@link ReadDeadline}: the head of its first request, and of every later one on the kept-alive
     * connection, must arrive within {@code http.requestReadTimeoutMs} of its first byte, or the
     * connection closes; a client sending its headers a byte at a time (slowloris) cannot hold it.
     */
    private void connected(HttpConnection conn) {
        int open = limits.connections().incrementAndGet();
        String address = address(conn);
        boolean addressFits = limits.perAddress().open(address);
        conn.closeHandler(v -> {
            limits.connections().decrementAndGet();
            limits.perAddress().closed(address);
            ReadDeadline deadline = deadlines.remove(conn);
            if (deadline != null) {
                deadline.closed();
            }
            closing.remove(conn);
        });
        if (open > config.httpConnectionsMax()) {
            metrics.connectionsRefused.increment();
            conn.close();
            return;
        }
        if (!addressFits) {
            metrics.connectionsAddressRefused.increment();
            conn.close();
            return;
        }
        ReadDeadline deadline =
                new ReadDeadline(context, conn, config.httpRequestReadTimeoutMs(), metrics.readTimeouts::increment);
        deadlines.put(conn, deadline);
        // Netty's pipeline, ahead of the HTTP codec: the first byte of a later request starts its
        // deadline (Vert.x has no hook for it). Without access to it, only the first request has one.
        if (conn instanceof io.vertx.core.net.impl.ConnectionBase base) {
            base.channel().pipeline().addFirst("billing-read-deadline", deadline);
        }
    }

    private Handler<HttpServerRequest> requestArrives(Router router) {
        return request -> {
            ReadDeadline deadline = deadlines.get(request.connection());
            if (deadline != null) {
                deadline.routed(request.response());
            }
            if (closing.contains(request.connection())) {
                request.connection().close();
                return;
            }
            router.handle(request);
        };
    }

    /**
     * Bounds the time to read a body: a client that sends its headers and then trickles the body gets
     * {@code 408} and the connection is closed, instead of holding it.
     */
    private void bodyReadDeadline(RoutingContext ctx) {
        if (!ctx.request().isEnded()) {
            long timer = vertx.setTimer(config.httpRequestReadTimeoutMs(), id -> {
                if (!ctx.response().ended()) {
                    metrics.readTimeouts.increment();
                    ctx.response().putHeader("connection", "close");
                    problem(
                            ctx,
                            Problem.of(
                                    408,
                                    "request-timeout",
                                    "The request was not read in time",
                                    "the body did not arrive within " + config.httpRequestReadTimeoutMs() + " ms"));
                    ctx.request().connection().close();
                }
            });
            ctx.put(BODY_TIMER, timer);
            ctx.addEndHandler(v -> vertx.cancelTimer(timer));
        }
        ctx.next();
    }

    private void bodyRead(RoutingContext ctx) {
        Long timer = ctx.get(BODY_TIMER);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
        ctx.next();
    }

    private static final String BODY_TIMER = "billing.bodyTimer";

    /**
     * TLS from the PEM files when configured ({@link TlsPolicy}'s protocols and suites); the files are
     * read at start, a bad one fails the start.
     */
    private HttpServerOptions serverOptions() {
        // No WebSocket on this API: without compression support Netty's WebSocket extension handler
        // leaves the pipeline, where it inspected every response (0.5% of the event loops' samples).
        HttpServerOptions o = new HttpServerOptions()
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
        if (config.tls()) {
            o.setSsl(true)
                    .setKeyCertOptions(new PemKeyCertOptions()
                            .setCertPath(config.tlsCertPath())
                            .setKeyPath(config.tlsKeyPath()));
            // TLS 1.2 and 1.3 with forward-secret AEAD suites only, whatever the JDK allows.
            TlsPolicy.apply(o);
        }
        return o;
    }

    private Router router() {
        Router router = Router.router(vertx);
        // While draining, every answer (a 202 of a batch in flight, a 503, a health check) closes its
        // connection: clients open a new one, which the closed listener then refuses cleanly, instead
        // of writing into a keep-alive connection the shutdown is about to close.
        router.route().handler(ctx -> {
            ctx.addHeadersEndHandler(v -> {
                if (health.draining()) {
                    ctx.response().putHeader("Connection", "close");
                }
            });
            ctx.next();
        });
        // Header fields Netty's codec lets through but this API refuses (see HeaderCheck).
        router.route().handler(this::checkHeaders);
        // Draining, or the lease unconfirmed: a complete 503 before the key lookup, the body or any
        // Kafka work.
        router.route("/v1/*").handler(this::refuseNewWorkWhenUnavailable);
        // Provider webhooks: authenticated by the provider's signature, never an API key. Their routes end
        // every request they match, so the API key's route below never runs for them.
        router.route(com.streamsocial.billing.gateway.webhook.WebhookRoutes.PATH_PREFIX + "*")
                .handler(this::bodyReadDeadline);
        webhooks.mount(router);
        // The API key first, before the body is read and before any Kafka or provider work.
        router.route("/v1/*").handler(this::authenticate);
        // The Idempotency-Key next, on its own route, so a request without one is refused unread.
        router.post("/v1/payments").handler(this::requireKey);
        // Its own route: Vert.x Web wants BodyHandler first on a route.
        router.post("/v1/payments").handler(this::bodyReadDeadline);
        router.post("/v1/payments")
                .handler(BodyHandler.create(false).setBodyLimit(RequestValidator.BODY_BYTES_MAX))
                .handler(this::bodyRead)
                .handler(this::createPayment);
        router.get("/v1/payments/:id").handler(this::getPayment);
        // Refunds (issue 21 §1): the key first, then the bounded body; answered after both commits.
        router.post("/v1/payments/:id/refunds").handler(this::requireKey);
        router.post("/v1/payments/:id/refunds").handler(this::bodyReadDeadline);
        router.post("/v1/payments/:id/refunds")
                .handler(BodyHandler.create(false).setBodyLimit(RefundRequestValidator.BODY_BYTES_MAX))
                .handler(this::bodyRead)
                .handler(ctx -> refunds.create(ctx, ctx.get(TENANT), GatewayVerticle::problem));
        router.get("/v1/payments/:id/refunds/:refund_id")
                .handler(ctx -> refunds.get(ctx, readPool, ctx.get(TENANT), GatewayVerticle::problem));
        // Explicit registration in the ownership registry (issue 19 §1), off the hot path.
        router.post("/v1/customers").handler(this::bodyReadDeadline);
        router.post("/v1/customers")
                .handler(BodyHandler.create(false).setBodyLimit(CustomerRegistration.BODY_BYTES_MAX))
                .handler(this::bodyRead)
                .handler(this::registerCustomer);
        // Up or down only, for a load balancer; the detail and /metrics are on the management listener.
        mountPublicHealth(router, health);
        // No authentication: the API's description is public, as Stripe's is.
        router.get("/openapi.json")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "application/json")
                        .end(OpenApiDocument.json()));
        router.errorHandler(
                413,
                ctx -> problem(
                        ctx,
                        ctx.request().path().startsWith("/v1/customers")
                                ? CustomerRegistration.tooLarge()
                                : ctx.request().path().endsWith("/refunds")
                                        ? RefundRequestValidator.tooLarge()
                                        : RequestValidator.tooLarge()));
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
     * Every route as {@code METHOD /path}, with path parameters in OpenAPI's form ({@code {id}}), so
     * that a test can hold the OpenAPI document to the router. Empty before the verticle started.
     */
    List<String> routes() {
        List<String> out = new java.util.ArrayList<>();
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
                .end(p.encode(null))
                .onComplete(ignored -> request.connection().close());
    }

    /**
     * Resolves the tenant from {@code Authorization: Bearer <api key>}, or answers 401 (missing,
     * unknown or revoked key) or 503 (keys cannot be looked up). On a cache miss the request is paused
     * meanwhile, so that no body byte is lost before {@link BodyHandler} reads it.
     */
    private void authenticate(RoutingContext ctx) {
        String address = clientAddress(ctx);
        // Charged before the work, not after the 401: a flood's requests in flight at once cannot all
        // pass the check before the first refusal is counted. A key cached as a tenant's is free, so a
        // tenant sharing the address (NAT, proxy) with a flood keeps working.
        Future<Authenticator.Outcome> f =
                authenticator.authenticate(ctx.request().getHeader("Authorization"), () -> {
                    TenantRateLimiter.Decision d = limits.authFailures().acquire(address, System.nanoTime());
                    return d.allowed() ? 0 : d.retryAfterS();
                });
        boolean paused = !f.isComplete();
        if (paused) {
            ctx.request().pause();
        }
        f.onComplete(ar -> {
            if (ar.failed()) {
                metrics.shed(GatewayMeters.Shed.AUTH_UNAVAILABLE);
                problem(
                        ctx,
                        Problem.unavailable(
                                "auth_unavailable", "API keys cannot be checked right now", config.retryAfterS()));
            } else if (ar.result().refusal() == Authenticator.Refusal.THROTTLED) {
                metrics.shed(GatewayMeters.Shed.AUTH_THROTTLED);
                problem(ctx, authThrottled(ar.result().retryAfterS()));
            } else if (ar.result().tenant() == null) {
                boolean missing = ar.result().refusal() == Authenticator.Refusal.MISSING;
                metrics.authRefused(missing ? "missing" : "invalid");
                problem(ctx, unauthorized(missing));
            } else {
                admitTenant(ctx, ar.result().tenant(), paused);
            }
        });
    }

    /**
     * The peer's IP address, the key of its 401 budget (behind a proxy: the proxy's). The connection's
     * own address: Vert.x Web's request wrapper would run its Forwarded-header parser on every request
     * for an answer that is the same here (forwarding is not allowed), 2.6% of the event loops' samples.
     */
    private static String clientAddress(RoutingContext ctx) {
        return address(ctx.request().connection());
    }

    /** A connection's peer IP address, or "unknown": the key of its connection count and 401 budget. */
    private static String address(HttpConnection conn) {
        io.vertx.core.net.SocketAddress a = conn.remoteAddress();
        return a == null || a.hostAddress() == null ? "unknown" : a.hostAddress();
    }

    private void admitTenant(RoutingContext ctx, String tenant, boolean paused) {
        // Reads and writes have their own buckets: a tenant polling its payments does not spend the
        // rate it pays with, and a tenant's payments do not starve its reads.
        HttpMethod method = ctx.request().method();
        boolean read = method == HttpMethod.GET || method == HttpMethod.HEAD;
        TenantRateLimiter.Decision d =
                (read ? limits.tenantReads() : limits.tenantWrites()).acquire(tenant, System.nanoTime());
        if (!d.allowed()) {
            metrics.shed(GatewayMeters.Shed.RATE_LIMITED);
            problem(
                    ctx,
                    new Problem(
                            429,
                            "rate-limited",
                            "Too many requests",
                            "this API key's tenant is over its request rate; retry after the Retry-After seconds",
                            List.of(),
                            d.retryAfterS()));
            return;
        }
        ctx.put(TENANT, tenant);
        // A POST's body is read by BodyHandler, which resumes the request itself.
        if (paused
                && ctx.request().method() != HttpMethod.POST
                && !ctx.request().isEnded()) {
            ctx.request().resume();
        }
        ctx.next();
    }

    static Problem authThrottled(int retryAfterS) {
        return new Problem(
                429,
                "auth-throttled",
                "Too many refused API keys",
                "this client address sent too many missing or invalid API keys; retry after the Retry-After seconds",
                List.of(),
                retryAfterS);
    }

    static Problem unauthorized(boolean missing) {
        return new Problem(
                401,
                "unauthorized",
                "A valid API key is required",
                missing
                        ? "send the header Authorization: Bearer <api key>"
                        : "the API key is not valid: unknown, revoked or malformed",
                List.of(new Problem.FieldError("Authorization", missing ? "missing" : "invalid")),
                null);
    }

    private void refuseNewWorkWhenUnavailable(RoutingContext ctx) {
        if (health.draining()) {
            metrics.shed(GatewayMeters.Shed.DRAINING);
            problem(ctx, draining(config.retryAfterS()));
        } else if (health.leaseSuspect()) {
            // PostgreSQL does not answer the lease check: the lock is probably still ours, but new
            // work waits until it is confirmed; what is in flight finishes (Kafka fencing guards it).
            metrics.shed(GatewayMeters.Shed.LEASE_SUSPECT);
            problem(ctx, leaseSuspect(config.retryAfterS()));
        } else {
            ctx.next();
        }
    }

    static Problem leaseSuspect(int retryAfterS) {
        return Problem.unavailable(
                "lease_suspect",
                "this gateway cannot confirm its instance lease (PostgreSQL does not answer) and takes no new"
                        + " requests meanwhile; retry with the same key",
                retryAfterS);
    }

    static Problem draining(int retryAfterS) {
        return Problem.unavailable(
                "draining",
                "this gateway is shutting down and takes no new requests; retry with the same key",
                retryAfterS);
    }

    /**
     * Refuses, before any other work, what the codec accepts but this API does not: too many header
     * fields (431), a value with a byte outside visible ASCII, space and tab (400), a
     * {@code Transfer-Encoding} other than a single {@code chunked} (400). The connection closes
     * after the answer: for a transfer coding the codec did not frame the body by, the bytes after
     * the headers would otherwise be read as the next request (request smuggling). A chunked request
     * is answered and its connection closed too.
     */
    private void checkHeaders(RoutingContext ctx) {
        Problem p = HeaderCheck.check(ctx.request().headers(), config.httpHeadersCountMax());
        if (p == null) {
            if (ctx.request().headers().contains("Transfer-Encoding")) {
                // The codec drops a Content-Length sent with Transfer-Encoding before we see it, and RFC
                // 9112 requires closing after such a request: a front proxy may have framed it by the
                // Content-Length, so the bytes after its last chunk must not be read as a request here.
                closeAfterAnswer(ctx);
            }
            ctx.next();
            return;
        }
        metrics.invalid.increment();
        closeAfterAnswer(ctx);
        problem(ctx, p);
    }

    /** Answers this request, then closes its connection; nothing pipelined behind it is routed. */
    private void closeAfterAnswer(RoutingContext ctx) {
        HttpConnection conn = ctx.request().connection();
        closing.add(conn);
        ctx.response().putHeader("connection", "close");
        ctx.addEndHandler(v -> conn.close());
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
                ctx.<String>get(TENANT),
                ctx.request().getHeader("Idempotency-Key"),
                ctx.request().getHeader("Content-Type"),
                ctx.body().buffer());
        if (result.problem() != null) {
            metrics.invalid.increment();
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
                case ACCEPTED ->
                    payment(ctx, 202, request.paymentId(), PaymentView.json(request, "pending", null), false);
                case REPLAYED -> {
                    metrics.replayed.increment();
                    String status = PaymentView.publicStatus(a.ledgerStatus());
                    payment(
                            ctx,
                            "pending".equals(status) ? 202 : 200,
                            request.paymentId(),
                            PaymentView.json(request, status, a.failureCode()),
                            true);
                }
                case IN_FLIGHT -> {
                    metrics.conflict("in_flight");
                    problem(ctx, inFlight(config.retryAfterS()));
                }
                case KEY_REUSED -> {
                    metrics.conflict("key_reused");
                    problem(
                            ctx,
                            new Problem(
                                    422,
                                    "idempotency-key-reused",
                                    "Idempotency-Key reused with a different request",
                                    "this Idempotency-Key was used with a different request body",
                                    List.of(new Problem.FieldError("Idempotency-Key", "reused with a different body")),
                                    null));
                }
                case NOT_OWNED -> problem(ctx, CustomerRegistration.notOwned());
                case OVER_SHARE -> problem(ctx, overQueueShare(config.retryAfterS()));
                case UNAVAILABLE ->
                    problem(
                            ctx,
                            "draining".equals(a.reason())
                                    ? draining(config.retryAfterS())
                                    : Problem.unavailable(
                                            a.reason(),
                                            "the payment was not accepted (" + a.reason()
                                                    + "); retrying with the same key is safe",
                                            config.retryAfterS()));
            }
        });
    }

    /** A tenant holding its fair share of the lane's queue: its own 429, the others keep their room. */
    static Problem overQueueShare(int retryAfterS) {
        return new Problem(
                429,
                "queue-share-exceeded",
                "This tenant's share of the queue is full",
                "this API key's tenant already has its fair share of the gateway's queue waiting; retry after"
                        + " the Retry-After seconds with the same key",
                List.of(),
                retryAfterS);
    }

    static Problem inFlight(int retryAfterS) {
        return new Problem(
                409,
                "request-in-flight",
                "A request with this key is in progress",
                "a request with the same Idempotency-Key is still being processed; retry later",
                List.of(),
                retryAfterS);
    }

    /**
     * Registers a customer and its payment methods to the caller's tenant: 201 when something is new,
     * 200 when all was the tenant's already, 409 when another tenant owns any of them (nothing
     * registered, and the owner not named).
     */
    private void registerCustomer(RoutingContext ctx) {
        String tenant = ctx.get(TENANT);
        CustomerRegistration.Result result = CustomerRegistration.validate(
                ctx.request().getHeader("Content-Type"), ctx.body().buffer(), config.ownership());
        if (result.problem() != null) {
            metrics.invalid.increment();
            problem(ctx, result.problem());
            return;
        }
        CustomerRegistration.Request r = result.request();
        List<OwnerStore.Id> ids = new java.util.ArrayList<>();
        ids.add(new OwnerStore.Id(OwnedKind.CUSTOMER, r.customerId()));
        r.paymentMethods().forEach(m -> ids.add(new OwnerStore.Id(OwnedKind.PAYMENT_METHOD, m)));
        ownerStore.register(tenant, ids).onComplete(ar -> {
            if (ar.failed()) {
                problem(
                        ctx,
                        Problem.unavailable(
                                "store_unavailable", "the ownership registry is unreachable", config.retryAfterS()));
            } else if (ar.result() == OwnerStore.Outcome.OWNED_BY_ANOTHER) {
                metrics.conflict("owned_elsewhere");
                problem(ctx, CustomerRegistration.ownedElsewhere());
            } else {
                ids.forEach(id -> ownership.learn(id.kind(), id.id(), tenant));
                ctx.response()
                        .setStatusCode(ar.result() == OwnerStore.Outcome.CREATED ? 201 : 200)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject()
                                .put("customer_id", r.customerId())
                                .put("payment_methods", new io.vertx.core.json.JsonArray(r.paymentMethods()))
                                .encode());
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
        readStore.find(id, ctx.<String>get(TENANT)).onComplete(ar -> {
            if (ar.failed()) {
                metrics.shed(GatewayMeters.Shed.READS_UNAVAILABLE);
                problem(
                        ctx,
                        Problem.unavailable(
                                "store_unavailable", "the payment store is unreachable", config.retryAfterS()));
            } else if (ar.result().isEmpty()) {
                problem(ctx, Problem.of(404, "payment-not-found", "Payment not found", "no payment has this id"));
            } else {
                var p = ar.result().get();
                JsonObject view = PaymentView.of(
                        id, PaymentView.publicStatus(p.ledgerStatus()), p.failureCode(), new JsonObject(p.request()));
                Refunds.list(readPool, id, ctx.<String>get(TENANT)).onComplete(lr -> {
                    if (lr.failed()) {
                        metrics.shed(GatewayMeters.Shed.READS_UNAVAILABLE);
                        problem(
                                ctx,
                                Problem.unavailable(
                                        "store_unavailable", "the payment store is unreachable", config.retryAfterS()));
                    } else {
                        payment(
                                ctx,
                                200,
                                id,
                                RefundView.addTo(view, lr.result()).encode(),
                                false);
                    }
                });
            }
        });
    }

    /**
     * The public listener's health: the status code and {@code {"status":"UP"}} or {@code "DOWN"},
     * nothing else (no component, no exception text), so it tells an outsider nothing about the
     * dependencies.
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

    /** Health with its detail, and metrics: the management listener's routes (loopback by default). */
    static void mountManagement(Router router, Health health, ServiceMetrics metrics) {
        // Down only when a restart would help: a producer failed fatally for a restartable reason.
        router.get("/health/live").handler(ctx -> {
            JsonObject live = health.liveness();
            ctx.response()
                    .setStatusCode("UP".equals(live.getString("status")) ? 200 : 503)
                    .putHeader("content-type", "application/json")
                    .end(live.encode());
        });
        router.get("/health/ready").handler(ctx -> ready(ctx, health));
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", ServiceMetrics.CONTENT_TYPE)
                        .end(metrics.scrape()));
    }

    private static void ready(RoutingContext ctx, Health health) {
        JsonObject status = health.readiness();
        ctx.response()
                .setStatusCode(status.getBoolean("ready") ? 200 : 503)
                .putHeader("content-type", "application/json")
                .end(status.encode());
    }

    private static void payment(RoutingContext ctx, int status, String paymentId, String body, boolean replayed) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("content-type", "application/json");
        r.putHeader("Location", "/v1/payments/" + paymentId);
        if (replayed) {
            r.putHeader("Idempotent-Replayed", "true");
        }
        r.end(body);
    }

    static void problem(RoutingContext ctx, Problem p) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        // Refused with its body unread (401, 400, 413, 429, 503 before the body): close after the
        // answer instead of draining a body of any size at the client's pace.
        boolean bodyUnread = !ctx.request().isEnded() && hasBody(ctx.request());
        if (bodyUnread) {
            r.putHeader("connection", "close");
        }
        r.setStatusCode(p.status()).putHeader("content-type", Problem.MEDIA_TYPE);
        if (p.status() == 401) {
            r.putHeader("WWW-Authenticate", "Bearer realm=\"billing\"");
        }
        if (p.retryAfterS() != null) {
            r.putHeader("Retry-After", String.valueOf(p.retryAfterS()));
        }
        Future<Void> written = r.end(p.encode(ctx.request().path()));
        if (bodyUnread) {
            // A lingering close, bounded (nginx's lingering_close): closing with the client's body still
            // unread in the socket sends a reset, which can destroy the answer before the client reads
            // it (a 413 to a 17 KB body was lost so in a CI run). The connection stays open
            // REFUSAL_LINGER_MS after the answer, for the client to read it, then closes.
            HttpConnection conn = ctx.request().connection();
            written.onComplete(v -> ctx.vertx().setTimer(REFUSAL_LINGER_MS, id -> conn.close()));
        }
    }

    /** How long a refused connection stays open after its answer, at most, before it is closed. */
    static final long REFUSAL_LINGER_MS = 500;

    /** Whether the request announces a body: a {@code Transfer-Encoding}, or a non-zero length. */
    static boolean hasBody(HttpServerRequest request) {
        if (request.headers().contains("Transfer-Encoding")) {
            return true;
        }
        String length = request.getHeader("Content-Length");
        return length != null && !length.trim().equals("0");
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
                .compose(v -> pool.close())
                .compose(v -> authPool.close())
                .compose(v -> readPool.close());
    }
}
