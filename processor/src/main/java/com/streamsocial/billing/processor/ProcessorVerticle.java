package com.streamsocial.billing.processor;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.lease.LeaseCheck;
import com.streamsocial.billing.management.ManagementRoutes;
import com.streamsocial.billing.management.ServiceHealth;
import com.streamsocial.billing.processor.batch.BatchOrchestrator;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.guarantee.Guarantee;
import com.streamsocial.billing.processor.guarantee.NaiveBatch;
import com.streamsocial.billing.processor.guarantee.NaiveLoop;
import com.streamsocial.billing.processor.kafka.BillingRedrive;
import com.streamsocial.billing.processor.kafka.CommittedOutcomes;
import com.streamsocial.billing.processor.kafka.ConsumerSettings;
import com.streamsocial.billing.processor.kafka.HangingTransactionWatchdog;
import com.streamsocial.billing.processor.kafka.TransactionalLoop;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.ProviderHealth;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.processor.reconcile.ReconcileJob;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.refund.PendingRefundSweep;
import com.streamsocial.billing.processor.refund.RefundLedger;
import com.streamsocial.billing.processor.refund.RefundOrchestrator;
import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.processor.webhook.WebhookOrchestrator;
import com.streamsocial.billing.processor.webhook.WebhookStore;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The processor: {@code processor.loops} {@link TransactionalLoop}s, each on its own thread with its
 * own consumer (one member of the group, so one share of the partitions) and its own transactional
 * producer, and this verticle's event loop for PostgreSQL and the provider. A loop hands each batch
 * over with {@code context.runOnContext} and waits, bounded, for the records to write. Loops decide
 * their batches concurrently, so one batch waiting for its slowest provider call does not hold the
 * others' partitions. Its health is {@link ProcessorHealth}'s, served by {@link ManagementRoutes}.
 *
 * <p>With {@code processor.guarantee} at-least-once or at-most-once (demonstration only) it runs
 * {@link NaiveLoop}s instead: no ledger, no transactions, no provider idempotency key.
 */
public final class ProcessorVerticle extends VerticleBase {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProcessorVerticle.class);

    private final ProcessorConfig config;
    private final Pool pool;
    private final PaymentProvider provider;
    private final ProcessorMeters metrics;
    private final ProcessorHealth health;

    /** Set by {@link #stop()}: the loops still in a batch at the drain bound. */
    private volatile long undrainedLoops;

    /** The loops {@link #stop()} left in a batch at its bound: 0 after a complete drain. */
    long undrainedLoops() {
        return undrainedLoops;
    }

    private BatchOrchestrator orchestrator;
    /** The adapter's refunds (issue 21 §1); null for a provider without them: payments.refunds is then not read. */
    private final RefundProvider refundProvider;

    private RefundOrchestrator refunds;
    /** The provider webhooks' application (issue 21 §2): payments.webhooks, read by every loop. */
    private WebhookOrchestrator webhooks;
    /** Re-drives refunds left pending at the provider, to be looked up; null without refunds. */
    private PendingRefundSweep pendingRefunds;

    private CommittedOutcomes committedOutcomes;
    private LedgerStore ledger;
    private BillingRedrive billingRedrive;
    private final List<TransactionalLoop> loops = new ArrayList<>();
    private final List<NaiveLoop> naiveLoops = new ArrayList<>();
    private HttpServer server;
    private ReconcileJob reconcileJob;
    private HangingTransactionWatchdog hangingWatchdog;

    /** The spans of the payments and refunds processed (the no-op tracer unless tracing is on). */
    private final Tracing tracing;

    public ProcessorVerticle(
            ProcessorConfig config, Pool pool, PaymentProvider provider, ProcessorMeters metrics, Tracing tracing) {
        this.config = config;
        this.tracing = tracing;
        this.pool = pool;
        ProviderHealth providerHealth =
                new ProviderHealth(provider, System::currentTimeMillis, ProviderHealth.FAILURE_WINDOW_MS);
        this.refundProvider = provider instanceof RefundProvider r ? r : null;
        this.provider = providerHealth;
        this.metrics = metrics;
        this.health = new ProcessorHealth(loops, providerHealth, config);
    }

    /**
     * Readiness follows this lease. A SUSPECT lease keeps the loops running (a batch in flight may
     * finish; a zombie's transaction is fenced by Kafka), but the process reports not ready.
     */
    public void watchLease(Supplier<LeaseCheck.State> state, Supplier<String> reason) {
        health.watchLease(state, reason);
    }

    @Override
    public Future<?> start() {
        if (config.guarantee() != Guarantee.EXACTLY_ONCE) {
            return startNaive();
        }
        committedOutcomes = new CommittedOutcomes(vertx, config.kafka());
        ledger = new LedgerStore(pool);
        orchestrator = new BatchOrchestrator(ledger, provider, committedOutcomes, metrics, tracing);
        refunds =
                refundProvider == null ? null : new RefundOrchestrator(new RefundLedger(pool), refundProvider, tracing);
        webhooks = new WebhookOrchestrator(new WebhookStore(pool), ledger, committedOutcomes, metrics);
        for (int k = 0; k < config.loops(); k++) {
            loops.add(startLoop(k));
        }
        // The worst loop's state: FATAL if any loop is dead.
        metrics.loopState(
                () -> loops.stream().mapToInt(l -> l.state().ordinal()).max().orElse(0));
        watchStuckPayments();
        if (refunds != null && config.pendingRefundCheckMs() > 0) {
            pendingRefunds = new PendingRefundSweep(
                    vertx, pool, config.kafka(), config.pendingRefundCheckMs(), config.pendingRefundBackoffMs());
        }
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
            reconcileJob = new ReconcileJob(
                    vertx, metrics, config.reconcileIntervalMs(), now -> ReconcileOptions.periodic(config, now));
        }
        if (config.httpPort() < 0) {
            return Future.succeededFuture();
        }
        health.start(vertx, pool);
        return serve(health);
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

    /** The management routes (health, {@code /metrics}) on {@code processor.httpPort}. */
    private Future<?> serve(ServiceHealth served) {
        Router router = Router.router(vertx);
        ManagementRoutes.mount(router, served, metrics.service());
        return ManagementRoutes.listen(vertx, router, config.httpHost(), config.httpPort())
                .onSuccess(s -> server = s);
    }

    /**
     * Every {@code processor.stuckCheckMs}, counts the payments in {@code charging} for longer than
     * {@code reconcile.stuckAfterMs} into the {@code processor_payments_stuck} gauge. One query at a
     * time, asynchronous on the pool (the event loop never waits), counting at most {@link
     * LedgerStore#STUCK_COUNTED_MAX} rows; the gauge reads the last answer, so a scrape never queries.
     */
    private void watchStuckPayments() {
        if (config.stuckCheckMs() <= 0) {
            return;
        }
        metrics.paymentsStuck(LedgerStore.STUCK_COUNTED_MAX, stuck::get);
        checkStuck();
        stuckTimer = vertx.setPeriodic(config.stuckCheckMs(), id -> checkStuck());
    }

    private void checkStuck() {
        if (stuckCheckRunning) {
            return;
        }
        stuckCheckRunning = true;
        ledger.stuckCount(config.reconcileStuckAfterMs()).onComplete(ar -> {
            stuckCheckRunning = false;
            if (ar.succeeded()) {
                stuck.set(ar.result());
            } else {
                log.warn(
                        "could not count the payments stuck in charging: {}",
                        ar.cause().toString());
            }
        });
    }

    private final AtomicLong stuck = new AtomicLong();
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
                        ConsumerSettings.forLoop(config, memberId(k)),
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
            return serve(ProcessorHealth.naive(naiveLoops, config));
        });
    }

    /**
     * Loop {@code k} of this instance. Loop 0 keeps the instance's own ids (the ids of a one-loop
     * processor); the others add {@code -k}. Static membership needs a distinct
     * {@code group.instance.id} per consumer, and each producer its own {@code transactional.id}.
     */
    private TransactionalLoop startLoop(int k) {
        String memberId = memberId(k);
        TransactionalLoop loop = new TransactionalLoop(
                ConsumerSettings.forLoop(config, memberId),
                KafkaSafety.transactionalProducer(
                        config.kafka(), "processor-" + memberId, config.transactionTimeoutMs()),
                new TransactionalLoop.Limits(
                        config.pollMs(), config.processTimeoutMs(), config.backoffInitialMs(), config.backoffMaxMs()),
                new TransactionalLoop.Faults(config.faultStallOnBatch(), config.faultStallMs()),
                this::processOnContext,
                refunds == null ? null : batch -> onContext(() -> refunds.process(batch)),
                batch -> onContext(() -> webhooks.process(batch)),
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

    private <T> CompletableFuture<T> onContext(Supplier<Future<T>> work) {
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
        health.startDraining();
        if (stuckTimer >= 0) {
            vertx.cancelTimer(stuckTimer);
        }
        if (reconcileJob != null) {
            reconcileJob.close();
        }
        if (pendingRefunds != null) {
            pendingRefunds.close();
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
