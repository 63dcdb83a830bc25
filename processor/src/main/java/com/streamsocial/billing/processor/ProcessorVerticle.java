package com.streamsocial.billing.processor;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.lease.LeaseCheck;
import com.streamsocial.billing.metrics.HealthText;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.batch.BatchOrchestrator;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.guarantee.Guarantee;
import com.streamsocial.billing.processor.guarantee.NaiveBatch;
import com.streamsocial.billing.processor.guarantee.NaiveLoop;
import com.streamsocial.billing.processor.kafka.BillingRedrive;
import com.streamsocial.billing.processor.kafka.CommittedOutcomes;
import com.streamsocial.billing.processor.kafka.HangingTransactionWatchdog;
import com.streamsocial.billing.processor.kafka.TransactionalLoop;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.ProviderHealth;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.processor.reconcile.ProviderAccount;
import com.streamsocial.billing.processor.reconcile.ReconcileJob;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.refund.RefundLedger;
import com.streamsocial.billing.processor.refund.RefundOrchestrator;
import com.streamsocial.billing.processor.store.LedgerStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The processor: {@code processor.loops} {@link TransactionalLoop}s, each on its own thread with its
 * own consumer (one member of the group, so one share of the partitions) and its own transactional
 * producer, and this verticle's event loop for PostgreSQL and the provider. A loop hands each batch
 * over with {@code context.runOnContext} and waits, bounded, for the records to write. Loops decide
 * their batches concurrently, so one batch waiting for its slowest provider call does not hold the
 * others' partitions.
 *
 * <p>With {@code processor.guarantee} at-least-once or at-most-once (demonstration only) it runs
 * {@link NaiveLoop}s instead: no ledger, no transactions, no provider idempotency key.
 */
public final class ProcessorVerticle extends VerticleBase {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProcessorVerticle.class);

    /** Bytes a fetch waits for (about 160 billing events), unless {@link #FETCH_MAX_WAIT_MS} passes first. */
    static final int FETCH_MIN_BYTES = 64 * 1024;
    /** Longest a fetch waits for {@link #FETCH_MIN_BYTES}: the latency it may add to a quiet partition. */
    static final int FETCH_MAX_WAIT_MS = 20;

    /** How often readiness checks PostgreSQL with a {@code SELECT 1}, off the batches' path. */
    static final long PG_PROBE_INTERVAL_MS = 2_000;
    /** Probe intervals without a successful probe after which PostgreSQL counts as down (a hung probe). */
    static final int PG_PROBES_STALE = 3;

    private final ProcessorConfig config;
    private final Pool pool;
    private final PaymentProvider provider;
    private final ProviderHealth providerHealth;
    private final ProcessorMeters metrics;

    /** Set by {@link #stop()}: the loops still in a batch at the drain bound. */
    private volatile long undrainedLoops;

    /** The loops {@link #stop()} left in a batch at its bound: 0 after a complete drain. */
    long undrainedLoops() {
        return undrainedLoops;
    }

    /** Set by {@link #stop()}: readiness false for good while the loops finish. */
    private volatile boolean draining;

    /** The instance lease's state: readiness is false unless HELD (SUSPECT: PostgreSQL stalled). */
    private volatile java.util.function.Supplier<LeaseCheck.State> leaseState = () -> LeaseCheck.State.HELD;

    private volatile java.util.function.Supplier<String> leaseReason = () -> null;

    private volatile long pgOkAtMs = -1;
    private volatile String pgError = "not probed yet";

    private BatchOrchestrator orchestrator;
    /** The adapter's refunds (issue 21 §1); null for a provider without them: payments.refunds is then not read. */
    private final RefundProvider refundProvider;

    private RefundOrchestrator refunds;
    private CommittedOutcomes committedOutcomes;
    private LedgerStore ledger;
    private BillingRedrive billingRedrive;
    private final List<TransactionalLoop> loops = new ArrayList<>();
    private final List<NaiveLoop> naiveLoops = new ArrayList<>();
    private HttpServer server;
    private ReconcileJob reconcileJob;
    private HangingTransactionWatchdog hangingWatchdog;

    public ProcessorVerticle(ProcessorConfig config, Pool pool, PaymentProvider provider, ProcessorMeters metrics) {
        this.config = config;
        this.pool = pool;
        this.providerHealth = new ProviderHealth(provider, System::currentTimeMillis, ProviderHealth.FAILURE_WINDOW_MS);
        this.refundProvider = provider instanceof RefundProvider r ? r : null;
        this.provider = providerHealth;
        this.metrics = metrics;
    }

    /**
     * Readiness follows this lease. A SUSPECT lease keeps the loops running (a batch in flight may
     * finish; a zombie's transaction is fenced by Kafka), but the process reports not ready.
     */
    public void watchLease(
            java.util.function.Supplier<LeaseCheck.State> state, java.util.function.Supplier<String> reason) {
        this.leaseState = state;
        this.leaseReason = reason;
    }

    @Override
    public Future<?> start() {
        if (config.guarantee() != Guarantee.EXACTLY_ONCE) {
            return startNaive();
        }
        committedOutcomes = new CommittedOutcomes(vertx, config.kafka());
        ledger = new LedgerStore(pool);
        orchestrator = new BatchOrchestrator(ledger, provider, committedOutcomes, metrics);
        refunds = refundProvider == null ? null : new RefundOrchestrator(new RefundLedger(pool), refundProvider);
        for (int k = 0; k < config.loops(); k++) {
            loops.add(startLoop(k));
        }
        // The worst loop's state: FATAL if any loop is dead.
        metrics.loopState(
                () -> loops.stream().mapToInt(l -> l.state().ordinal()).max().orElse(0));
        watchStuckPayments();
        if (config.hangingCheckMs() > 0) {
            // Every processor's transactional id starts with "processor-" (see startLoop).
            hangingWatchdog = new HangingTransactionWatchdog(
                    config.kafka(),
                    "processor-",
                    config.transactionTimeoutMs(),
                    config.hangingCheckMs(),
                    System::currentTimeMillis,
                    metrics,
                    this::redriveLostOutcomes);
        }
        if (config.reconcileIntervalMs() > 0 && !config.providerKind().equals("approve-all")) {
            reconcileJob = new ReconcileJob(vertx, metrics, config.reconcileIntervalMs(), this::reconcileOptions);
        }
        if (config.httpPort() < 0) {
            return Future.succeededFuture();
        }
        probePg();
        vertx.setPeriodic(PG_PROBE_INTERVAL_MS, id -> probePg());
        Router router = Router.router(vertx);
        router.get("/health/live").handler(this::live);
        router.get("/health/ready").handler(this::ready);
        return serve(router);
    }

    /**
     * Sends the decided ones of {@code paymentIds} through the pipeline again (the watchdog's repair of
     * outcomes an abort took away); called on the watchdog's thread, the work runs on this context. A
     * failure is logged: reconciliation then reports the payments as missing_outcome.
     */
    private void redriveLostOutcomes(Set<String> paymentIds) {
        context.runOnContext(v -> {
            if (billingRedrive == null) {
                billingRedrive = new BillingRedrive(config.kafka(), "hanging-transaction-watchdog");
            }
            ledger.decidedEvents(paymentIds)
                    .compose(events -> billingRedrive.send(events).map(events.size()))
                    .onSuccess(n -> log.warn(
                            "re-drove {} decided payments of {} whose outcomes were aborted", n, paymentIds.size()))
                    .onFailure(e -> log.error(
                            "could not re-drive {} payments whose outcomes were aborted: {}",
                            paymentIds.size(),
                            e.toString()));
        });
    }

    /** The periodic reconciliation's options for the window ending {@code now}. */
    private ReconcileOptions reconcileOptions(long now) {
        return new ReconcileOptions(
                now - config.reconcileWindowMs(),
                now,
                config.reconcileGraceMs(),
                config.reconcileStuckAfterMs(),
                false,
                java.nio.file.Path.of(
                        System.getProperty("java.io.tmpdir"), "reconciliation-" + config.instanceId() + ".json"),
                config.pgUri(),
                config.kafka(),
                config.groupId(),
                config.providerKind().equals("paypal")
                        ? ProviderAccount.paypal(
                                config.providerBaseUrl(), config.providerClientId(), config.providerClientSecret())
                        : ProviderAccount.stripe(config.providerBaseUrl(), config.providerSecretKey()),
                5_000,
                1_000,
                config.pgPassword());
    }

    /**
     * Live unless the loop is dead for a reason a restart could fix: then the orchestrator restarts
     * the process. A loop dead for a configuration reason stays live (a restart would die the same
     * way) and is reported by readiness.
     */
    private void live(io.vertx.ext.web.RoutingContext ctx) {
        TransactionalLoop dead = loops.stream()
                .filter(TransactionalLoop::deadButRestartable)
                .findFirst()
                .orElse(null);
        ctx.response().setStatusCode(dead != null ? 503 : 200);
        JsonObject body = new JsonObject()
                .put("status", dead != null ? "DOWN" : "UP")
                .put("loop", worst().state().name());
        if (dead != null) {
            body.put("cause", HealthText.reason(dead.fatalCause()));
        }
        ctx.json(body);
    }

    /** Ready: every loop running, no batch failing, PostgreSQL, the provider and the lease up, not draining. */
    private void ready(io.vertx.ext.web.RoutingContext ctx) {
        // The loop to report: a failing one if any, else the one in the worst state.
        TransactionalLoop loop = loops.stream()
                .filter(l -> l.consecutiveFailures() > 0)
                .findFirst()
                .orElseGet(this::worst);
        boolean running = loops.stream()
                .noneMatch(l ->
                        l.state() == TransactionalLoop.State.FATAL || l.state() == TransactionalLoop.State.STOPPED);
        // Batches failing in a row (provider or PostgreSQL unavailable): not ready, and say why.
        boolean degraded = loop.consecutiveFailures() > 0;
        boolean pgUp = pgOkAtMs >= 0 && System.currentTimeMillis() - pgOkAtMs <= PG_PROBES_STALE * PG_PROBE_INTERVAL_MS;
        boolean providerUp = providerHealth.up();
        LeaseCheck.State lease = leaseState.get();
        boolean leaseHeld = lease == LeaseCheck.State.HELD;
        boolean ready = running && !degraded && pgUp && providerUp && leaseHeld && !draining;
        ctx.response().setStatusCode(ready ? 200 : 503);
        ctx.json(new JsonObject()
                .put("ready", ready)
                .put("draining", draining)
                .put("loop", loop.state().name())
                .put("consecutive_failed_batches", loop.consecutiveFailures())
                .put("last_failure", loop.lastFailure())
                // Development-only modes in effect (dev.mode=true): empty in production.
                .put("dev_modes", new io.vertx.core.json.JsonArray(DevModes.of(config)))
                .put(
                        "checks",
                        new JsonObject()
                                .put(
                                        "kafka",
                                        new JsonObject().put("up", running).put("loops", loops.size()))
                                .put(
                                        "postgres",
                                        new JsonObject().put("up", pgUp).put("error", pgUp ? null : pgErrorOrStale()))
                                .put(
                                        "provider",
                                        new JsonObject().put("up", providerUp).put("error", providerHealth.lastError()))
                                .put(
                                        "lease",
                                        new JsonObject()
                                                .put("up", leaseHeld)
                                                .put("state", lease.name())
                                                .put(
                                                        "error",
                                                        leaseHeld
                                                                ? null
                                                                : HealthText.shortReason(leaseReason.get())))));
    }

    /** A {@code SELECT 1}; readiness reads only its last success, so a scrape never waits on PostgreSQL. */
    private void probePg() {
        pool.query("SELECT 1").execute().onComplete(ar -> {
            if (ar.succeeded()) {
                pgOkAtMs = System.currentTimeMillis();
                pgError = null;
            } else {
                // The class only: the message names the host and the user (the log has it).
                pgError = HealthText.reason(ar.cause());
            }
        });
    }

    private String pgErrorOrStale() {
        String e = pgError;
        return e != null ? e : "no successful probe for " + PG_PROBES_STALE + " intervals";
    }

    /** Adds {@code /metrics} to the health routes and listens on {@code processor.httpPort}. */
    private Future<?> serve(Router router) {
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", ServiceMetrics.CONTENT_TYPE)
                        .end(metrics.service().scrape()));
        // HTTP/1.1 only, as scrapers and probes speak it: after an h2c upgrade, Vert.x 5.0.7 sent no
        // body for a /metrics scrape of ~50 KB (the client waited for good; SecretsSearchIT saw it).
        return vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions().setHttp2ClearTextEnabled(false))
                .requestHandler(router)
                .listen(config.httpPort(), config.httpHost())
                .onSuccess(s -> server = s);
    }

    /**
     * Every {@code processor.stuckCheckMs}, counts the payments in {@code charging} for longer than
     * {@code reconcile.stuckAfterMs} into the {@code processor_payments_stuck} gauge. One query at a
     * time, asynchronous on the pool (the event loop never waits), counting at most {@link
     * #STUCK_COUNTED_MAX} rows; the gauge reads the last answer, so a scrape never queries.
     */
    private void watchStuckPayments() {
        if (config.stuckCheckMs() <= 0) {
            return;
        }
        metrics.paymentsStuck(STUCK_COUNTED_MAX, stuck::get);
        checkStuck();
        stuckTimer = vertx.setPeriodic(config.stuckCheckMs(), id -> checkStuck());
    }

    private void checkStuck() {
        if (stuckCheckRunning) {
            return;
        }
        stuckCheckRunning = true;
        pool.preparedQuery(STUCK_SQL)
                .execute(io.vertx.sqlclient.Tuple.of(
                        (double) config.reconcileStuckAfterMs() / 1000.0, STUCK_COUNTED_MAX))
                .onComplete(ar -> {
                    stuckCheckRunning = false;
                    if (ar.succeeded()) {
                        stuck.set(ar.result().iterator().next().getLong(0));
                    } else {
                        log.warn(
                                "could not count the payments stuck in charging: {}",
                                ar.cause().toString());
                    }
                });
    }

    /** Rows counted at most by one check of the payments stuck in charging: the query's bound. */
    static final int STUCK_COUNTED_MAX = 10_000;

    private static final String STUCK_SQL = """
            SELECT count(*) FROM (
              SELECT 1 FROM payments
              WHERE status = 'charging'
                AND coalesce(last_attempt_at, created_at) < now() - make_interval(secs => $1)
              LIMIT $2) stuck""";

    private final java.util.concurrent.atomic.AtomicLong stuck = new java.util.concurrent.atomic.AtomicLong();
    private boolean stuckCheckRunning;
    private long stuckTimer = -1;

    /**
     * The member id of loop {@code k}: loop 0 keeps the instance's own id (the ids of a one-loop
     * processor); the others add {@code -k}.
     */
    private String memberId(int k) {
        return k == 0 ? config.instanceId() : config.instanceId() + "-" + k;
    }

    /**
     * The naive guarantees, for demonstration only: {@code processor.loops} {@link NaiveLoop}s, no
     * ledger, no transactions, no provider idempotency keys. Health: live unless a loop died.
     */
    private Future<?> startNaive() {
        log.warn(
                "*** processor.guarantee={}: FOR DEMONSTRATION ONLY. No deduplication, no Kafka transaction, no"
                        + " provider idempotency key: payments WILL be {} when this process crashes. Never use it"
                        + " for real payments; exactly-once is the only mode for payments. ***",
                config.guarantee().wire(),
                config.guarantee() == Guarantee.AT_LEAST_ONCE ? "charged twice" : "lost");
        NaiveBatch naive = new NaiveBatch(pool, provider, metrics, config.guarantee());
        return naive.prepare().compose(v -> {
            for (int k = 0; k < config.loops(); k++) {
                NaiveLoop loop = new NaiveLoop(
                        config.guarantee(),
                        consumerConfig(memberId(k)),
                        KafkaSafety.idempotentProducer(config.kafka()),
                        config.pollMs(),
                        config.processTimeoutMs(),
                        new TransactionalLoop.Faults(config.faultStallOnBatch(), config.faultStallMs()),
                        batch -> onContext(() -> naive.process(batch)),
                        metrics);
                naiveLoops.add(loop);
                Thread thread = new Thread(loop, "processor-naive-loop-" + k);
                thread.setDaemon(true);
                thread.start();
            }
            if (config.httpPort() < 0) {
                return Future.succeededFuture();
            }
            Router router = Router.router(vertx);
            router.get("/health/live").handler(ctx -> {
                boolean dead = naiveLoops.stream().anyMatch(l -> l.state() == NaiveLoop.State.FATAL);
                ctx.response().setStatusCode(dead ? 503 : 200);
                ctx.json(new JsonObject()
                        .put("status", dead ? "DOWN" : "UP")
                        .put("guarantee", config.guarantee().wire()));
            });
            router.get("/health/ready").handler(ctx -> {
                boolean ready = naiveLoops.stream()
                        .noneMatch(l -> l.state() == NaiveLoop.State.FATAL || l.state() == NaiveLoop.State.STOPPED);
                ctx.response().setStatusCode(ready ? 200 : 503);
                ctx.json(new JsonObject()
                        .put("ready", ready)
                        .put("guarantee", config.guarantee().wire())
                        .put("dev_modes", new io.vertx.core.json.JsonArray(DevModes.of(config))));
            });
            return serve(router);
        });
    }

    /** The consumer of one loop: read_committed, static membership as {@code memberId}, byte keys. */
    private Map<String, Object> consumerConfig(String memberId) {
        Map<String, Object> consumerKafka = new HashMap<>(config.kafka());
        consumerKafka.putIfAbsent("max.poll.records", config.maxPollRecords());
        // Fuller batches under load: a fetch waits for FETCH_MIN_BYTES or FETCH_MAX_WAIT_MS, whichever
        // comes first, instead of returning the first bytes that arrive (the consumer's defaults).
        consumerKafka.putIfAbsent("fetch.min.bytes", FETCH_MIN_BYTES);
        consumerKafka.putIfAbsent("fetch.max.wait.ms", FETCH_MAX_WAIT_MS);
        // Static membership: a restarted instance takes its partitions back without a rebalance.
        consumerKafka.put("group.instance.id", memberId);
        Map<String, Object> consumerConfig = KafkaSafety.readCommittedConsumer(consumerKafka, config.groupId());
        // Keys as bytes: a dead letter keeps the original key exactly, whatever its encoding.
        consumerConfig.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return consumerConfig;
    }

    /**
     * Loop {@code k} of this instance. Loop 0 keeps the instance's own ids (the ids of a one-loop
     * processor); the others add {@code -k}. Static membership needs a distinct
     * {@code group.instance.id} per consumer, and each producer its own {@code transactional.id}.
     */
    private TransactionalLoop startLoop(int k) {
        String memberId = memberId(k);
        TransactionalLoop loop = new TransactionalLoop(
                consumerConfig(memberId),
                KafkaSafety.transactionalProducer(
                        config.kafka(), "processor-" + memberId, config.transactionTimeoutMs()),
                new TransactionalLoop.Limits(
                        config.pollMs(),
                        config.processTimeoutMs(),
                        config.backoffInitialMs(),
                        config.backoffMaxMs(),
                        TransactionalLoop.COMMIT_ATTEMPTS_MAX),
                new TransactionalLoop.Faults(config.faultStallOnBatch(), config.faultStallMs()),
                this::processOnContext,
                refunds == null ? null : batch -> onContext(() -> refunds.process(batch)),
                metrics);
        Thread thread = new Thread(loop, "processor-kafka-loop-" + k);
        thread.setDaemon(true);
        thread.start();
        return loop;
    }

    /** Called on a loop's thread; the work runs on this verticle's context. */
    private CompletableFuture<List<ProducerRecord<String, byte[]>>> processOnContext(List<InputRecord> batch) {
        return onContext(() -> orchestrator.process(batch));
    }

    private <T> CompletableFuture<T> onContext(java.util.function.Supplier<Future<T>> work) {
        CompletableFuture<T> done = new CompletableFuture<>();
        context.runOnContext(v -> work.get().onComplete(ar -> {
            if (ar.succeeded()) {
                done.complete(ar.result());
            } else {
                done.completeExceptionally(ar.cause());
            }
        }));
        return done;
    }

    /** The loop in the worst state (the highest ordinal: FATAL, then STOPPED, ...). */
    private TransactionalLoop worst() {
        return loops.stream()
                .max(java.util.Comparator.comparingInt(l -> l.state().ordinal()))
                .orElseThrow();
    }

    /** This instance's loops, loop 0 first. */
    public List<TransactionalLoop> loops() {
        return List.copyOf(loops);
    }

    /**
     * The drain: readiness turns false at once (the listener stays up to say so), the loops stop in
     * parallel, each committing the batch it has processed or aborting the one that fails, and
     * closing its producer and consumer (which leaves the group with {@code shutdown.leaveGroup});
     * then the listener closes. Bounded by three quarters of {@code shutdown.drainTimeoutMs}, the rest
     * of the bound being the pool's and the lease's.
     */
    @Override
    public Future<?> stop() {
        draining = true;
        if (stuckTimer >= 0) {
            vertx.cancelTimer(stuckTimer);
        }
        if (reconcileJob != null) {
            reconcileJob.close();
        }
        if (hangingWatchdog != null) {
            hangingWatchdog.close();
        }
        Duration bound = Duration.ofMillis(config.drainTimeoutMs() * 3 / 4);
        List<Future<Boolean>> stopping = new ArrayList<>();
        for (TransactionalLoop l : loops) {
            stopping.add(vertx.executeBlocking(() -> l.stop(bound, config.leaveGroupOnStop()), false));
        }
        for (NaiveLoop l : naiveLoops) {
            stopping.add(vertx.executeBlocking(() -> l.stop(bound), false));
        }
        // A loop still in its batch at the bound has not drained: the stop goes on (the process exits
        // anyway, and the batch's open transaction is aborted by its coordinator, the next owner
        // reading it again), and undrainedLoops() says so, for ProcessorMain's exit status.
        return Future.join(stopping)
                .map(all -> stopping.stream()
                        .filter(f -> !Boolean.TRUE.equals(f.result()))
                        .count())
                .recover(e -> Future.succeededFuture((long) stopping.size()))
                .compose(unfinished -> {
                    undrainedLoops = unfinished;
                    if (billingRedrive != null) {
                        billingRedrive.close();
                    }
                    return committedOutcomes == null ? Future.succeededFuture() : committedOutcomes.close();
                })
                .compose(v -> server == null ? Future.succeededFuture() : server.close());
    }
}
