package com.streamsocial.billing.processor;

import com.streamsocial.billing.contract.DeadLetterHeaders;
import com.streamsocial.billing.contract.KafkaSafety;
import com.streamsocial.billing.contract.Metrics;
import com.streamsocial.billing.contract.MetricsEvent;
import com.streamsocial.billing.contract.OutcomeEvent;
import com.streamsocial.billing.contract.PaymentStatus;
import com.streamsocial.billing.contract.Topics;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.Plan;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.kafka.TransactionalLoop;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.reconcile.ReconcileJob;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.store.LedgerStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The processor: a {@link TransactionalLoop} on its own thread for Kafka, and this verticle's event
 * loop for PostgreSQL and the provider. The loop hands each batch over with
 * {@code context.runOnContext} and waits, bounded, for the records to write.
 */
public final class ProcessorVerticle extends VerticleBase {
    /** Bytes a fetch waits for (about 160 billing events), unless {@link #FETCH_MAX_WAIT_MS} passes first. */
    static final int FETCH_MIN_BYTES = 64 * 1024;
    /** Longest a fetch waits for {@link #FETCH_MIN_BYTES}: the latency it may add to a quiet partition. */
    static final int FETCH_MAX_WAIT_MS = 20;

    private final ProcessorConfig config;
    private final Pool pool;
    private final PaymentProvider provider;
    private final Metrics metrics;

    private LedgerStore ledger;
    private TransactionalLoop loop;
    private Thread loopThread;
    private HttpServer server;
    private ReconcileJob reconcileJob;

    public ProcessorVerticle(ProcessorConfig config, Pool pool, PaymentProvider provider, Metrics metrics) {
        this.config = config;
        this.pool = pool;
        this.provider = provider;
        this.metrics = metrics;
    }

    @Override
    public Future<?> start() {
        ledger = new LedgerStore(pool);
        Map<String, Object> consumerKafka = new HashMap<>(config.kafka());
        consumerKafka.putIfAbsent("max.poll.records", config.maxPollRecords());
        // Fuller batches under load: a fetch waits for FETCH_MIN_BYTES or FETCH_MAX_WAIT_MS, whichever
        // comes first, instead of returning the first bytes that arrive (the consumer's defaults).
        consumerKafka.putIfAbsent("fetch.min.bytes", FETCH_MIN_BYTES);
        consumerKafka.putIfAbsent("fetch.max.wait.ms", FETCH_MAX_WAIT_MS);
        // Static membership: a restarted instance takes its partitions back without a rebalance.
        consumerKafka.putIfAbsent("group.instance.id", config.instanceId());
        Map<String, Object> consumerConfig = KafkaSafety.readCommittedConsumer(consumerKafka, config.groupId());
        // Keys as bytes: a dead letter keeps the original key exactly, whatever its encoding.
        consumerConfig.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        loop = new TransactionalLoop(
                consumerConfig,
                KafkaSafety.transactionalProducer(
                        config.kafka(), "processor-" + config.instanceId(), config.transactionTimeoutMs()),
                new TransactionalLoop.Limits(
                        config.pollMs(),
                        config.processTimeoutMs(),
                        config.backoffInitialMs(),
                        config.backoffMaxMs(),
                        TransactionalLoop.COMMIT_ATTEMPTS_MAX),
                new TransactionalLoop.Faults(config.faultStallOnBatch(), config.faultStallMs()),
                this::processOnContext,
                metrics);
        loopThread = new Thread(loop, "processor-kafka-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        metrics.gauge(
                "processor_loop_state",
                "Ordinal of the loop state (FATAL=6)",
                () -> loop.state().ordinal());
        if (config.reconcileIntervalMs() > 0 && config.providerKind().equals("stripe")) {
            reconcileJob = new ReconcileJob(
                    vertx,
                    metrics,
                    config.reconcileIntervalMs(),
                    now -> new ReconcileOptions(
                            now - config.reconcileWindowMs(),
                            now,
                            config.reconcileGraceMs(),
                            config.reconcileStuckAfterMs(),
                            false,
                            java.nio.file.Path.of(
                                    System.getProperty("java.io.tmpdir"),
                                    "reconciliation-" + config.instanceId() + ".json"),
                            config.pgUri(),
                            config.kafka(),
                            config.groupId(),
                            config.providerBaseUrl(),
                            config.providerSecretKey(),
                            5_000,
                            1_000));
        }
        if (config.httpPort() < 0) {
            return Future.succeededFuture();
        }
        Router router = Router.router(vertx);
        // Live unless the loop is dead for a reason a restart could fix: then the orchestrator restarts
        // the process. A loop dead for a configuration reason stays live (a restart would die the same
        // way) and is reported by readiness.
        router.get("/health/live").handler(ctx -> {
            boolean dead = loop.deadButRestartable();
            ctx.response().setStatusCode(dead ? 503 : 200);
            JsonObject body = new JsonObject()
                    .put("status", dead ? "DOWN" : "UP")
                    .put("loop", loop.state().name());
            if (dead) {
                body.put("cause", String.valueOf(loop.fatalCause()));
            }
            ctx.json(body);
        });
        router.get("/health/ready").handler(ctx -> {
            boolean running =
                    loop.state() != TransactionalLoop.State.FATAL && loop.state() != TransactionalLoop.State.STOPPED;
            // Batches failing in a row (provider or PostgreSQL unavailable): not ready, and say why.
            boolean degraded = loop.consecutiveFailures() > 0;
            ctx.response().setStatusCode(running && !degraded ? 200 : 503);
            ctx.json(new JsonObject()
                    .put("ready", running && !degraded)
                    .put("loop", loop.state().name())
                    .put("consecutive_failed_batches", loop.consecutiveFailures())
                    .put("last_failure", loop.lastFailure()));
        });
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(metrics.render()));
        return vertx.createHttpServer()
                .requestHandler(router)
                .listen(config.httpPort(), config.httpHost())
                .onSuccess(s -> server = s);
    }

    /** Called on the loop thread; the work runs on this verticle's context. */
    private CompletableFuture<List<ProducerRecord<String, byte[]>>> processOnContext(List<InputRecord> batch) {
        CompletableFuture<List<ProducerRecord<String, byte[]>>> done = new CompletableFuture<>();
        context.runOnContext(v -> ledger.process(batch, provider)
                .map(this::outputs)
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        done.complete(ar.result());
                    } else {
                        done.completeExceptionally(ar.cause());
                    }
                }));
        return done;
    }

    private List<ProducerRecord<String, byte[]>> outputs(LedgerStore.Result result) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(
                result.outcomes().size() * 2 + result.plan().deadLetters().size());
        for (StoredPayment p : result.outcomes()) {
            OutcomeEvent o = new OutcomeEvent(
                    p.paymentId(),
                    p.tenant(),
                    p.idempotencyKey(),
                    p.status(),
                    p.amount(),
                    p.currency(),
                    p.failureCode(),
                    p.providerRef(),
                    p.decidedAtMs());
            out.add(new ProducerRecord<>(Topics.RESULTS, p.paymentId(), o.toBytes()));
            String type = p.status() == PaymentStatus.SUCCEEDED ? MetricsEvent.SUCCEEDED : MetricsEvent.FAILED;
            out.add(new ProducerRecord<>(
                    Topics.METRICS,
                    p.paymentId(),
                    new MetricsEvent(type, p.paymentId(), p.tenant(), p.amount(), p.currency(), p.decidedAtMs())
                            .toBytes()));
        }
        for (Plan.DeadLetter d : result.plan().deadLetters()) {
            out.add(deadLetter(d));
            metrics.counter(
                            "processor_dead_letters_total{code=\""
                                    + d.error().code().wire() + "\"}",
                            "Billing records that cannot be processed, sent to payments.dlq")
                    .increment();
        }
        metrics.counter("processor_outcomes_emitted_total", "Outcomes written to payments.results")
                .add(result.outcomes().size());
        metrics.counter("processor_outcomes_reemitted_total", "Stored outcomes re-emitted on replay")
                .add(result.plan().toReEmit().size());
        metrics.counter("processor_duplicates_total", "Duplicate billing records (no second outcome)")
                .add(result.plan().duplicates().size());
        metrics.counter("processor_conflicts_total", "Known keys reused with a different request")
                .add(result.plan().conflicts().size());
        return out;
    }

    /**
     * The original record, value and key unchanged, with the error and its source in headers (see
     * {@link DeadLetterHeaders}); written in the batch's transaction, so it is there exactly when the
     * batch's offsets are committed.
     */
    private static ProducerRecord<String, byte[]> deadLetter(Plan.DeadLetter d) {
        InputRecord r = d.record();
        ProducerRecord<String, byte[]> dlq = new ProducerRecord<>(Topics.DLQ, r.key(), r.value());
        String message = d.error().message();
        if (message.length() > DeadLetterHeaders.MESSAGE_CHARS_MAX) {
            message = message.substring(0, DeadLetterHeaders.MESSAGE_CHARS_MAX);
        }
        dlq.headers()
                .add(DeadLetterHeaders.ERROR_CODE, utf8(d.error().code().wire()))
                .add(DeadLetterHeaders.ERROR_MESSAGE, utf8(message))
                .add(DeadLetterHeaders.SOURCE_TOPIC, utf8(Topics.BILLING))
                .add(DeadLetterHeaders.SOURCE_PARTITION, utf8(Integer.toString(r.partition())))
                .add(DeadLetterHeaders.SOURCE_OFFSET, utf8(Long.toString(r.offset())));
        if (r.rawKey() != null) {
            dlq.headers().add(DeadLetterHeaders.SOURCE_KEY, r.rawKey());
        }
        return dlq;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public TransactionalLoop loop() {
        return loop;
    }

    @Override
    public Future<?> stop() {
        if (reconcileJob != null) {
            reconcileJob.close();
        }
        Future<Void> http = server == null ? Future.succeededFuture() : server.close();
        return http.compose(v -> vertx.executeBlocking(() -> {
            loop.stop(Duration.ofSeconds(20));
            return null;
        }));
    }
}
