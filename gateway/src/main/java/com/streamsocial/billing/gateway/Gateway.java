package com.streamsocial.billing.gateway;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.http.OpenApiDocument;
import com.streamsocial.billing.gateway.limit.ConnectionsPerAddress;
import com.streamsocial.billing.gateway.limit.TenantRateLimiter;
import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import com.streamsocial.billing.gateway.recovery.ReservationSettlement;
import com.streamsocial.billing.gateway.recovery.RestartSettlement;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.kafka.TopicSafetyCheck;
import com.streamsocial.billing.lease.InstanceLease;
import com.streamsocial.billing.management.ManagementRoutes;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.service.RunningService;
import com.streamsocial.billing.service.ServiceStart;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its instance id leased, the schema migrated, readiness probed, and one
 * {@link GatewayVerticle} per producer lane. Used by {@link GatewayMain}, the local stack and the tests
 * alike. While its lease is SUSPECT it is not ready and sheds new payments (503 {@code lease_suspect});
 * it stops serving when it loses its lease.
 */
public final class Gateway implements RunningService {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    private static final long PROBE_INTERVAL_MS = 2_000;
    /** How long a failed settlement of earlier runs' reservations waits before it tries again. */
    private static final long SETTLEMENT_RETRY_MS = 5_000;

    private final Vertx vertx;
    private final Pool adminPool;
    private final Health health;
    private final GatewayMeters metrics;
    private final List<String> deployments;
    private final List<GatewayVerticle> verticles;
    private final InstanceLease lease;
    private final WorkerExecutor settlementWorker;
    /** The management listener: health with its detail, and metrics. */
    private final HttpServer management;
    /** Closed last: exports the spans still queued (bounded), off the event loop. */
    private final Tracing tracing;

    private volatile Future<Void> closed;
    private Future<Void> draining;
    /** Completes once closed, whoever closed it (a lost lease, a drain, the owner). */
    private final io.vertx.core.Promise<Void> whenClosed = io.vertx.core.Promise.promise();

    private Gateway(
            Vertx vertx,
            Pool adminPool,
            Health health,
            GatewayMeters metrics,
            List<String> deployments,
            List<GatewayVerticle> verticles,
            InstanceLease lease,
            WorkerExecutor settlementWorker,
            HttpServer management,
            Tracing tracing) {
        this.management = management;
        this.tracing = tracing;
        this.vertx = vertx;
        this.adminPool = adminPool;
        this.health = health;
        this.metrics = metrics;
        this.deployments = deployments;
        this.verticles = verticles;
        this.lease = lease;
        this.settlementWorker = settlementWorker;
    }

    /**
     * With meters of its own; Vert.x's HTTP, pool and event-loop meters appear only when {@code vertx}
     * was built by {@link ServiceMetrics#vertx} with the metrics given to {@link #deploy(Vertx,
     * GatewayConfig, BatchFaults, ServiceMetrics)}.
     */
    public static Future<Gateway> deploy(Vertx vertx, GatewayConfig config, BatchFaults faults) {
        return deploy(vertx, config, faults, new ServiceMetrics());
    }

    /** Registers its meters in {@code service}, which {@code /metrics} serves. */
    public static Future<Gateway> deploy(
            Vertx vertx, GatewayConfig config, BatchFaults faults, ServiceMetrics service) {
        return deploy(vertx, config, faults, service, Tracing.start(config.tracing()));
    }

    /** With {@code tracing}'s spans (tests give one with an in-memory exporter); closed with the gateway. */
    public static Future<Gateway> deploy(
            Vertx vertx, GatewayConfig config, BatchFaults faults, ServiceMetrics service, Tracing tracing) {
        Start start = new Start(vertx, config, faults, service, tracing);
        // Topic safety, then the lease, then the schema; then the gateway's own steps (Start.deploy).
        ServiceStart.Steps steps = new ServiceStart.Steps(
                "gateway",
                config,
                topics(config),
                List.of(TopicSafetyCheck.TRANSACTION_STATE),
                () -> Migrations.apply(vertx, config.pgUri(), config.pgConnect().getPassword()));
        return ServiceStart.deploy(vertx, steps, start, log);
    }

    /**
     * The topics this gateway writes, which its start checks are replicated: billing and metrics;
     * refunds, whose route is always on (an acknowledged refund must survive a broker loss as a payment
     * does); and the webhooks' topic when a provider's webhook endpoint is on.
     */
    static List<String> topics(GatewayConfig config) {
        List<String> topics = new ArrayList<>(List.of(Topics.BILLING, Topics.METRICS, Topics.REFUNDS));
        if (config.webhooks().stripeOn() || config.webhooks().paypalOn()) {
            topics.add(Topics.WEBHOOKS);
        }
        return List.copyOf(topics);
    }

    /**
     * One {@link #deploy}: what it builds, step by step, in the order the steps run; a failed start
     * closes what was built.
     */
    private static final class Start implements ServiceStart.Deployment<Gateway> {
        final Vertx vertx;
        final GatewayConfig config;
        final ServiceMetrics service;
        final Tracing tracing;
        final Pool adminPool;
        final GatewayMeters metrics;
        final Health health;
        final List<String> deployments = new ArrayList<>();
        /** Made before the chain runs; deployed, in lane order, once the schema is migrated. */
        final List<GatewayVerticle> lanes = new ArrayList<>();

        final List<GatewayVerticle> verticles = new ArrayList<>();
        // Reservations record the run that made them, so a restart can tell its own from the last run's.
        final String run = UUID.randomUUID().toString();
        final WorkerExecutor settlementWorker;
        // One scanner for the restart settlement and for lanes settling a commit that stayed unknown.
        final ReservationSettlement settlement;
        InstanceLease lease;
        HttpServer management;

        Start(Vertx vertx, GatewayConfig config, BatchFaults faults, ServiceMetrics service, Tracing tracing) {
            this.vertx = vertx;
            this.tracing = tracing;
            this.config = config;
            this.service = service;
            adminPool = PgBuilder.pool()
                    .with(new PoolOptions().setMaxSize(1))
                    .connectingTo(config.pgConnect())
                    .using(vertx)
                    .build();
            metrics = new GatewayMeters(service, config.batchRecordsMax());
            health = new Health(config.kafka(), config.ownership().devModes());
            GatewayVerticle.Limits limits = sharedLimits(config, metrics);
            settlementWorker = vertx.createSharedWorkerExecutor("gateway-settlement-" + run, 1);
            settlement = new ReservationSettlement(settlementWorker, config.kafka(), config.transactionTimeoutMs());
            for (int lane = 0; lane < config.producers(); lane++) {
                lanes.add(new GatewayVerticle(config, lane, run, faults, metrics, health, settlement, limits, tracing));
            }
        }

        /** Shared by the lanes: a tenant's rate and the connection cap are per process, not per lane. */
        private static GatewayVerticle.Limits sharedLimits(GatewayConfig config, GatewayMeters metrics) {
            GatewayVerticle.Limits limits = new GatewayVerticle.Limits(
                    config.tenantLimits().writes(),
                    config.tenantLimits().reads(),
                    new TenantRateLimiter(
                            config.authFailuresPerS(), config.authFailureBurst(), config.authAddressesTrackedMax()),
                    new AtomicInteger(),
                    new com.streamsocial.billing.gateway.dedup.CommittedIds(CommitLane.UNMARKED_IDS_MAX),
                    new ConnectionsPerAddress(config.httpConnectionsPerAddressMax()),
                    new com.streamsocial.billing.gateway.webhook.VerifiedTransmissions());
            metrics.gauge(
                    "gateway.connections",
                    "HTTP connections open",
                    null,
                    () -> limits.connections().get());
            return limits;
        }

        @Override
        public void leased(InstanceLease taken) {
            lease = taken;
            health.watchLease(taken::state, taken::reason);
        }

        /** Once the schema is migrated: the API's document, the lanes, readiness, management, settlement. */
        @Override
        public Future<Gateway> deploy(InstanceLease taken) {
            // Read once, off the event loop; the route serves it from memory.
            return vertx.executeBlocking(OpenApiDocument::json)
                    .compose(v -> deployLanes())
                    .compose(v -> health.start(vertx, adminPool, PROBE_INTERVAL_MS))
                    .compose(v -> listenManagement())
                    .map(v -> gateway())
                    // Every lane has passed initTransactions by now, so the earlier runs' transactions are
                    // decided and their open reservations can be settled.
                    .compose(g -> g.settle(config, run, settlement).map(g))
                    .map(this::announce);
        }

        /** One lane after the other, each passing its producer's initTransactions as it starts. */
        Future<Void> deployLanes() {
            Future<Void> chain = Future.succeededFuture();
            for (GatewayVerticle verticle : lanes) {
                chain = chain.compose(v -> vertx.deployVerticle(verticle)).map(id -> {
                    deployments.add(id);
                    verticles.add(verticle);
                    return null;
                });
            }
            return chain;
        }

        /** Health with its detail, and metrics: the management listener's routes (loopback by default). */
        Future<Void> listenManagement() {
            Router router = Router.router(vertx);
            ManagementRoutes.mount(router, health, service);
            return ManagementRoutes.listen(vertx, router, config.managementHost(), config.managementPort())
                    .map(server -> management = server)
                    .mapEmpty();
        }

        Gateway gateway() {
            return new Gateway(
                    vertx,
                    adminPool,
                    health,
                    metrics,
                    deployments,
                    verticles,
                    lease,
                    settlementWorker,
                    management,
                    tracing);
        }

        /** Says where it listens. */
        Gateway announce(Gateway gateway) {
            log.info(
                    "gateway {} listening on {}:{} with {} producer lanes{}",
                    config.instanceId(),
                    config.httpHost(),
                    config.httpPort(),
                    config.producers(),
                    "; management (health detail, metrics) on " + config.managementHost() + ":"
                            + management.actualPort());
            if (config.plaintextOffLoopback()) {
                log.warn(
                        "gateway {} serves plaintext HTTP on {}, which is not loopback (http.plaintext=true):"
                                + " API keys and payment data cross the network in clear text unless a"
                                + " TLS-terminating proxy stands in front",
                        config.instanceId(),
                        config.httpHost());
            }
            if (config.ownership().firstUse()) {
                log.warn(
                        "trust on first use: gateway {} registers an unregistered customer or payment method to"
                                + " the first tenant that pays with it ({}=true, the default only with"
                                + " dev.mode=true): a tenant that learns another tenant's ids before their first"
                                + " payment can claim them and charge that saved card. Production leaves it off"
                                + " and registers customers with POST /v1/customers",
                        config.instanceId(),
                        OwnershipConfig.FIRST_USE);
            }
            if (!config.ownership().verification().on()) {
                log.warn(
                        "gateway {} registers customers without asking the provider whose they are ({}=false):"
                                + " POST /v1/customers gives any customer or payment method id to the first tenant"
                                + " that registers it, who can then charge it. Production leaves it on",
                        config.instanceId(),
                        com.streamsocial.billing.gateway.ownership.VerificationConfig.VERIFY);
            }
            return gateway;
        }

        /** A failed start: closes what it built (the lease is let go by {@link ServiceStart}). */
        @Override
        public void abandon() {
            if (management != null) {
                management.close();
            }
            settlementWorker.close();
            health.close();
            adminPool.close();
            tracing.close(vertx);
        }
    }

    /** Settles the earlier runs' open reservations; on failure, logs and tries again in the background. */
    private Future<Void> settle(GatewayConfig config, String run, ReservationSettlement core) {
        RestartSettlement settlement = new RestartSettlement(
                new IntentStore(adminPool, new IntentStore.Owner(config.instanceId(), null, run)), core, metrics);
        return settlement.run().<Void>mapEmpty().recover(e -> {
            log.warn("could not settle the reservations of earlier runs yet: {}", e.toString());
            retrySettlement(settlement);
            return Future.succeededFuture();
        });
    }

    private void retrySettlement(RestartSettlement settlement) {
        vertx.setTimer(SETTLEMENT_RETRY_MS, id -> {
            if (closed == null) {
                settlement.run().onFailure(e -> {
                    log.warn("could not settle the reservations of earlier runs yet: {}", e.toString());
                    retrySettlement(settlement);
                });
            }
        });
    }

    /** The port the management listener is bound to ({@code management.port}, or the one picked for 0). */
    public int managementPort() {
        return management.actualPort();
    }

    /** Its meters, as {@code /metrics} serves them. */
    public ServiceMetrics metrics() {
        return metrics.service();
    }

    /** The HTTP routes, as {@code METHOD /path} (every lane has the same). */
    public List<String> routes() {
        return verticles.isEmpty() ? List.of() : verticles.get(0).routes();
    }

    /** Completes once this gateway has closed, for whatever reason: what a supervisor watches. */
    public Future<Void> whenClosed() {
        return whenClosed.future();
    }

    /** The instance lease: {@link GatewayMain} exits when it is lost. */
    @Override
    public InstanceLease lease() {
        return lease;
    }

    /**
     * The graceful stop of SIGTERM, bounded by {@code drainTimeoutMs}: readiness turns false and new
     * payments get a complete {@code 503} (with {@code Retry-After}) at once; every lane flushes what
     * it holds, each batch committed or aborted and its clients answered {@code 202} or {@code 503};
     * after at least {@code readinessGraceMs}, the listeners stop (answers being written finish,
     * new connections are refused); then {@link #close()}. Lanes that do not finish in three quarters
     * of the bound (Kafka hangs) are cut off: their reservations wait for the restart settlement.
     */
    public synchronized Future<Void> drain(long drainTimeoutMs, long readinessGraceMs) {
        if (draining != null) {
            return draining;
        }
        if (closed != null) {
            return closed;
        }
        long startMs = System.currentTimeMillis();
        health.startDraining();
        log.info("draining: readiness false, new payments refused, flushing {} lanes", verticles.size());
        List<Future<Void>> lanes = new ArrayList<>();
        for (GatewayVerticle v : verticles) {
            lanes.add(v.drainLane());
        }
        Future<Void> lanesDone = Future.all(lanes).mapEmpty();
        Future<Void> lanesBounded = Future.any(lanesDone, timer(drainTimeoutMs * 3 / 4))
                .map(v -> {
                    if (!lanesDone.isComplete()) {
                        log.warn("lanes did not drain within {} ms; closing anyway", drainTimeoutMs * 3 / 4);
                    }
                    return null;
                });
        Future<Void> drained = Future.all(lanesBounded, timer(readinessGraceMs))
                .compose(v -> {
                    long graceMs = (drainTimeoutMs - (System.currentTimeMillis() - startMs)) / 2;
                    log.info("lanes drained; closing the listeners (in-flight answers get {} ms)", graceMs);
                    List<Future<Void>> listeners = new ArrayList<>();
                    for (GatewayVerticle gv : verticles) {
                        listeners.add(gv.shutdownListener(graceMs));
                    }
                    return Future.join(listeners).<Void>mapEmpty();
                })
                .recover(e -> Future.succeededFuture());
        draining = drained.compose(v -> close());
        return draining;
    }

    private Future<Void> timer(long delayMs) {
        io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
        vertx.setTimer(Math.max(1, delayMs), id -> p.tryComplete());
        return p.future();
    }

    /**
     * Stops serving, then lets the lease go, so that a successor never overlaps with this one. Its
     * metrics close last.
     */
    @Override
    public synchronized Future<Void> close() {
        if (closed != null) {
            return closed;
        }
        Future<Void> chain = management == null ? Future.succeededFuture() : management.close();
        for (String id : deployments) {
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        closed = chain.eventually(() -> {
                    settlementWorker.close();
                    health.close();
                    return adminPool.close();
                })
                .eventually(lease::release)
                .eventually(() -> tracing.close(vertx))
                .andThen(ignored -> metrics.service().close())
                .andThen(ignored -> whenClosed.tryComplete());
        return closed;
    }
}
