package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.ProducerErrors;
import com.streamsocial.billing.kafka.TransactionalSession;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.refund.RefundInput;
import com.streamsocial.billing.processor.webhook.WebhookInput;
import com.streamsocial.billing.tracing.TraceHeaders;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-process-write loop, on one dedicated thread that owns a consumer and a {@link
 * TransactionalSession} (kafka-clients, because the Vert.x client has no {@code sendOffsetsToTransaction}): poll,
 * rewind and back-off around the session's transactions. Per
 * polled batch: hand the records to the {@code process} function (which runs on Vert.x and returns
 * the records to write), then in one Kafka transaction write them and the consumer offsets with the
 * group metadata (KIP-447). If anything fails before the commit, the transaction is aborted and the
 * consumer rewinds to the batch's first offsets, so the batch is read again. A commit whose outcome is
 * unknown (it timed out, perhaps after the broker committed) is never rewound blindly: the commit is
 * retried, and if that does not settle it, a new producer's {@code initTransactions} resolves it and
 * the consumer seeks to the group's committed offsets, which then say whether the batch committed.
 *
 * <p>Records are decoded totally ({@link InputRecord#decode}): a record that is not a valid event
 * goes to the dead-letter topic in the batch's transaction and never stops the loop.
 */
public final class TransactionalLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalLoop.class);

    public enum State {
        STARTING,
        POLLING,
        PROCESSING,
        IN_TRANSACTION,
        /** A commit's outcome is unknown: retrying it, or re-initialising the producer to resolve it. */
        RESOLVING,
        BACKING_OFF,
        STOPPED,
        FATAL;

        boolean canTransitionTo(State next) {
            return switch (this) {
                case STARTING -> next == POLLING || next == FATAL || next == STOPPED;
                case POLLING -> next == PROCESSING || next == POLLING || next == STOPPED || next == FATAL;
                case PROCESSING -> next == IN_TRANSACTION || next == BACKING_OFF || next == STOPPED || next == FATAL;
                case IN_TRANSACTION ->
                    next == POLLING || next == RESOLVING || next == BACKING_OFF || next == STOPPED || next == FATAL;
                case RESOLVING -> next == POLLING || next == BACKING_OFF || next == STOPPED || next == FATAL;
                case BACKING_OFF -> next == POLLING || next == PROCESSING || next == STOPPED || next == FATAL;
                case STOPPED, FATAL -> false;
            };
        }
    }

    /** Longest wait of one lookup of the group's committed offsets after an unresolved commit. */
    public static final long COMMITTED_LOOKUP_MS = 30_000;

    /** The settings of one loop; every wait is bounded. */
    public record Limits(long pollMs, long processTimeoutMs, long backoffInitialMs, long backoffMaxMs) {
        public Limits {
            Check.argument(
                    processTimeoutMs > 0 && backoffInitialMs > 0 && backoffMaxMs >= backoffInitialMs,
                    "invalid loop limits %d/%d/%d",
                    processTimeoutMs,
                    backoffInitialMs,
                    backoffMaxMs);
        }
    }

    /**
     * A fault hook for the crash tests: on batch number {@code stallOnBatch} (1-based; 0 never), the
     * loop holds its open transaction for {@code stallMs} after PostgreSQL has committed and the
     * outputs are sent, and before the Kafka commit: the window a crash test kills the process in.
     */
    public record Faults(long stallOnBatch, long stallMs) {
        public static final Faults NONE = new Faults(0, 0);
    }

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final Limits limits;
    private final Faults faults;
    private long batchesHandled;
    private final Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process;
    /** The refund records' processing (issue 21 §1), or null: then {@code payments.refunds} is not read. */
    private final Function<List<RefundInput>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> refunds;

    /** The webhook records' processing (issue 21 §2), or null: then {@code payments.webhooks} is not read. */
    private final Function<List<WebhookInput>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> webhooks;

    private final ProcessorMeters metrics;
    private final CountDownLatch finished = new CountDownLatch(1);

    private volatile boolean running = true;
    private volatile boolean leaveGroup;
    private volatile State state = State.STARTING;
    private volatile Throwable fatalCause;
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaClientMetrics consumerMetrics;
    private java.util.concurrent.ScheduledExecutorService metricsRefresh;
    /** How often the consumer's metrics are looked at for partitions assigned or revoked since. */
    static final Duration KAFKA_METRICS_REFRESH = Duration.ofSeconds(10);

    /** Created and used on the loop's thread only. */
    private TransactionalSession session;

    private long backoffMs;
    private long resumeAtMs = -1;
    private volatile int consecutiveFailures;
    private volatile String lastFailure;

    public TransactionalLoop(
            Map<String, Object> consumerConfig,
            Map<String, Object> producerConfig,
            Limits limits,
            Faults faults,
            Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process,
            ProcessorMeters metrics) {
        this(consumerConfig, producerConfig, limits, faults, process, null, metrics);
    }

    /**
     * With {@code refunds}, the loop also reads {@code payments.refunds}: a polled batch's records of
     * each topic go to their own processing, and both outputs and both topics' offsets are committed in
     * the batch's one transaction.
     */
    public TransactionalLoop(
            Map<String, Object> consumerConfig,
            Map<String, Object> producerConfig,
            Limits limits,
            Faults faults,
            Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process,
            Function<List<RefundInput>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> refunds,
            ProcessorMeters metrics) {
        this(consumerConfig, producerConfig, limits, faults, process, refunds, null, metrics);
    }

    /**
     * With {@code webhooks} too, the loop also reads {@code payments.webhooks}: its records are applied
     * after the batch's billing and refund records, and their outputs and offsets committed in the
     * batch's one transaction.
     */
    public TransactionalLoop(
            Map<String, Object> consumerConfig,
            Map<String, Object> producerConfig,
            Limits limits,
            Faults faults,
            Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process,
            Function<List<RefundInput>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> refunds,
            Function<List<WebhookInput>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> webhooks,
            ProcessorMeters metrics) {
        this.refunds = refunds;
        this.webhooks = webhooks;
        this.consumerConfig = Map.copyOf(consumerConfig);
        this.producerConfig = Map.copyOf(producerConfig);
        this.limits = limits;
        this.faults = faults;
        this.process = process;
        this.metrics = metrics;
        this.backoffMs = limits.backoffInitialMs();
    }

    public State state() {
        return state;
    }

    public Throwable fatalCause() {
        return fatalCause;
    }

    /** Batches that failed in a row; zero once one commits. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    public String lastFailure() {
        return lastFailure;
    }

    /** The loop is dead for a reason a new process could fix: liveness should fail. */
    public boolean deadButRestartable() {
        return deadButRestartable(state, fatalCause);
    }

    /**
     * Dead is FATAL (an unexpected exit counts as FATAL too). Restartable unless the cause is one that
     * only configuration can fix (authorisation, unsupported version, invalid configuration): a restart
     * would die the same way, and readiness already reports it.
     */
    static boolean deadButRestartable(State state, Throwable cause) {
        return state == State.FATAL && (cause == null || ProducerErrors.classify(cause) != ProducerErrors.Action.FATAL);
    }

    @Override
    public void run() {
        try {
            session = new TransactionalSession(
                    () -> new KafkaProducer<>(producerConfig),
                    String.valueOf(producerConfig.get("transactional.id")),
                    () -> running,
                    new CommitEvents());
            session.start();
            consumer = new KafkaConsumer<>(consumerConfig);
            // The consumer's own metrics, lag per partition among them (records-lag: to the last stable
            // offset, as read_committed). Read from the Kafka client's metric registry on the binder's
            // own thread: neither this loop nor the event loop ever waits for them.
            metricsRefresh = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, Thread.currentThread().getName() + "-metrics");
                t.setDaemon(true);
                return t;
            });
            consumerMetrics = new KafkaClientMetrics(consumer, Tags.empty(), metricsRefresh, KAFKA_METRICS_REFRESH);
            consumerMetrics.bindTo(metrics.registry());
            List<String> topics = new ArrayList<>(List.of(Topics.BILLING));
            if (refunds != null) {
                topics.add(Topics.REFUNDS);
            }
            if (webhooks != null) {
                topics.add(Topics.WEBHOOKS);
            }
            consumer.subscribe(topics, new Rebalance());
            transitionTo(State.POLLING);
            while (running) {
                resumeIfDue();
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(limits.pollMs()));
                if (!polled.isEmpty() && running) {
                    handle(polled);
                }
            }
        } catch (WakeupException e) {
            // stop() woke the consumer up: a normal way out.
        } catch (RuntimeException | Error e) {
            fatalCause = e;
            transitionTo(State.FATAL);
            log.error("processor loop failed fatally", e);
        } finally {
            if (state != State.FATAL && running) {
                // Out of the loop without stop(): nothing consumes any more, whatever the reason.
                fatalCause = new IllegalStateException("processor loop exited without being stopped");
                transitionTo(State.FATAL);
            }
            if (consumerMetrics != null) {
                consumerMetrics.close();
            }
            if (metricsRefresh != null) {
                metricsRefresh.shutdownNow();
            }
            closeClients();
            if (state != State.FATAL) {
                transitionTo(State.STOPPED);
            }
            finished.countDown();
        }
    }

    private void handle(ConsumerRecords<byte[], byte[]> polled) {
        List<InputRecord> batch = decode(polled);
        List<RefundInput> refundBatch = decodeRefunds(polled);
        List<WebhookInput> webhookBatch = decodeWebhooks(polled);
        Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
        for (TopicPartition tp : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> recs = polled.records(tp);
            firstOffsets.put(tp, recs.get(0).offset());
            nextOffsets.put(tp, new OffsetAndMetadata(recs.get(recs.size() - 1).offset() + 1));
        }
        transitionTo(State.PROCESSING);
        List<ProducerRecord<String, byte[]>> outputs;
        try {
            outputs =
                    processAll(batch, refundBatch, webhookBatch).get(limits.processTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            metrics.batchFailed(ProcessorMeters.Stage.PROCESS).increment();
            log.warn(
                    "processing a batch of {} failed, it will be read again: {}",
                    polled.count(),
                    ProducerErrors.unwrap(e).toString());
            failed(ProducerErrors.unwrap(e));
            rewind(firstOffsets);
            backOff();
            return;
        }
        // Stopping or not, a processed batch is committed: the drain finishes the transaction in hand
        // rather than leaving its outcomes for the next owner of the partitions to re-emit.
        transitionTo(State.IN_TRANSACTION);
        try {
            session.begin();
            for (ProducerRecord<String, byte[]> r : outputs) {
                session.send(r);
            }
            session.sendOffsets(nextOffsets, consumer.groupMetadata());
            stallIfAsked();
        } catch (RuntimeException e) {
            // No commit was asked for: the transaction aborts, and the batch is read again.
            transactionFailed(e);
            session.abortAfter(e);
            rewind(firstOffsets);
            backOff();
            return;
        }
        long t0 = System.nanoTime();
        if (session.commit() == TransactionalSession.Commit.COMMITTED) {
            metrics.transactionCommit.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            metrics.batchesCommitted.increment();
            metrics.records.increment(polled.count());
            backoffMs = limits.backoffInitialMs();
            consecutiveFailures = 0;
            lastFailure = null;
            transitionTo(State.POLLING);
            return;
        }
        // The commit's outcome was unknown; the session's new producer with the same transactional.id
        // fenced the old one and completed or aborted its transaction: the group's committed offsets say which.
        seekToCommitted(firstOffsets);
        backOff();
    }

    /**
     * What the session's commit tells the loop: a commit in doubt moves it to RESOLVING (never
     * straight back to processing), and is counted as before.
     */
    private final class CommitEvents implements TransactionalSession.Listener {
        @Override
        public void commitTimedOut(int call, boolean retrying) {
            metrics.commitTimeouts.increment();
            resolving();
        }

        @Override
        public void commitUnresolved(RuntimeException cause) {
            if (!ProducerErrors.outcomeUnknown(cause)) {
                metrics.batchFailed(ProcessorMeters.Stage.COMMIT).increment();
            }
            failed(cause);
            resolving();
            metrics.commitsUnresolved.increment();
        }

        private void resolving() {
            if (state == State.IN_TRANSACTION) {
                transitionTo(State.RESOLVING);
            }
        }
    }

    private void transactionFailed(RuntimeException e) {
        metrics.batchFailed(ProcessorMeters.Stage.TRANSACTION).increment();
        failed(e);
    }

    /**
     * Seeks the batch's partitions to the group's committed offsets: after the producer was
     * re-initialised, they include this batch's offsets exactly when its transaction committed.
     * read_committed makes the lookup wait for pending transactional offsets (KIP-447), which a hanging
     * transaction holds until the watchdog aborts it: {@link CommittedOffsets#await} waits that out.
     */
    private void seekToCommitted(Map<TopicPartition, Long> firstOffsets) {
        Map<TopicPartition, OffsetAndMetadata> committed = CommittedOffsets.await(
                consumer,
                firstOffsets.keySet(),
                COMMITTED_LOOKUP_MS,
                CommittedOffsets.WAIT_MS_MAX,
                () -> running,
                () -> {});
        for (Map.Entry<TopicPartition, Long> e : firstOffsets.entrySet()) {
            if (!consumer.assignment().contains(e.getKey())) {
                continue;
            }
            OffsetAndMetadata c = committed.get(e.getKey());
            // No committed offset at all: this batch did not commit either.
            long to = c != null ? c.offset() : e.getValue();
            log.info("resolved commit: {} resumes at {} (batch started at {})", e.getKey(), to, e.getValue());
            consumer.seek(e.getKey(), to);
        }
    }

    private void stallIfAsked() {
        batchesHandled++;
        if (faults.stallOnBatch() > 0 && batchesHandled == faults.stallOnBatch()) {
            session.flush();
            // A log line (one JSON object with log.format=json); the crash tests wait for its text.
            log.warn("FAULT: stalling batch {} before its Kafka commit for {} ms", batchesHandled, faults.stallMs());
            try {
                Thread.sleep(faults.stallMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The billing and refund records' processing, then the webhooks': an event may decide a payment the
     * batch's billing records are about, so it waits for them rather than race their ledger writes.
     */
    private CompletableFuture<List<ProducerRecord<String, byte[]>>> processAll(
            List<InputRecord> billing, List<RefundInput> refundRecords, List<WebhookInput> webhookRecords) {
        CompletableFuture<List<ProducerRecord<String, byte[]>>> first =
                billing.isEmpty() && refundRecords.isEmpty() && !webhookRecords.isEmpty()
                        ? CompletableFuture.completedFuture(List.of())
                        : processBoth(billing, refundRecords);
        if (webhookRecords.isEmpty()) {
            return first;
        }
        return first.thenCompose(a -> webhooks.apply(webhookRecords).thenApply(b -> {
            List<ProducerRecord<String, byte[]>> all = new ArrayList<>(a.size() + b.size());
            all.addAll(a);
            all.addAll(b);
            return all;
        }));
    }

    /** Each topic's records to its own processing (at once: they touch other rows), outputs concatenated. */
    private CompletableFuture<List<ProducerRecord<String, byte[]>>> processBoth(
            List<InputRecord> billing, List<RefundInput> refundRecords) {
        if (refundRecords.isEmpty()) {
            return process.apply(billing);
        }
        CompletableFuture<List<ProducerRecord<String, byte[]>>> first =
                billing.isEmpty() ? CompletableFuture.completedFuture(List.of()) : process.apply(billing);
        return first.thenCombine(refunds.apply(refundRecords), (a, b) -> {
            List<ProducerRecord<String, byte[]>> all = new ArrayList<>(a.size() + b.size());
            all.addAll(a);
            all.addAll(b);
            return all;
        });
    }

    private static List<RefundInput> decodeRefunds(ConsumerRecords<byte[], byte[]> polled) {
        List<RefundInput> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : polled) {
            if (Topics.REFUNDS.equals(r.topic())) {
                out.add(RefundInput.decode(
                        r.partition(), r.offset(), r.key(), r.value(), TraceHeaders.fromKafka(r.headers())));
            }
        }
        return out;
    }

    private static List<WebhookInput> decodeWebhooks(ConsumerRecords<byte[], byte[]> polled) {
        List<WebhookInput> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : polled) {
            if (Topics.WEBHOOKS.equals(r.topic())) {
                Map<String, byte[]> headers = new HashMap<>();
                r.headers().forEach(h -> headers.put(h.key(), h.value()));
                out.add(WebhookInput.of(r.partition(), r.offset(), headers, r.value()));
            }
        }
        return out;
    }

    private List<InputRecord> decode(ConsumerRecords<byte[], byte[]> polled) {
        List<InputRecord> batch = new ArrayList<>(polled.count());
        for (ConsumerRecord<byte[], byte[]> r : polled) {
            if (Topics.REFUNDS.equals(r.topic()) || Topics.WEBHOOKS.equals(r.topic())) {
                continue;
            }
            boolean redrive = r.headers().lastHeader(InputRecord.REDRIVE_HEADER) != null;
            batch.add(InputRecord.decode(
                    r.partition(), r.offset(), r.key(), r.value(), redrive, TraceHeaders.fromKafka(r.headers())));
        }
        return batch;
    }

    /** Reads the batch again from its first offsets: its transaction did not commit. */
    private void rewind(Map<TopicPartition, Long> firstOffsets) {
        for (Map.Entry<TopicPartition, Long> e : firstOffsets.entrySet()) {
            if (consumer.assignment().contains(e.getKey())) {
                consumer.seek(e.getKey(), e.getValue());
            }
        }
    }

    private void failed(Throwable e) {
        consecutiveFailures++;
        lastFailure = e.toString();
    }

    /**
     * Pauses every assigned partition for the back-off and keeps polling meanwhile, so the group
     * keeps this member; the batch is read again from its first offsets on resume.
     */
    private void backOff() {
        transitionTo(State.BACKING_OFF);
        resumeAtMs = System.currentTimeMillis() + backoffMs;
        backoffMs = Math.min(limits.backoffMaxMs(), backoffMs * 2);
        consumer.pause(consumer.assignment());
    }

    private void resumeIfDue() {
        if (resumeAtMs >= 0 && System.currentTimeMillis() >= resumeAtMs) {
            resumeAtMs = -1;
            consumer.resume(consumer.paused());
            transitionTo(State.POLLING);
        }
    }

    /** Stops as {@link #stop(Duration, boolean)} does, keeping the static membership. */
    public boolean stop(Duration timeout) throws InterruptedException {
        return stop(timeout, false);
    }

    /**
     * Stops after the batch in hand: a batch already processed is committed, one that fails is
     * aborted, never half-committed; then the producer and the consumer close. With {@code leaveGroup}
     * the consumer leaves the group (its partitions move to the other members at once); without, a
     * static member keeps them until {@code session.timeout.ms}, for a restart to take back without a
     * rebalance. Waits at most {@code timeout}; false when the loop was still in its batch then.
     */
    public boolean stop(Duration timeout, boolean leaveGroup) throws InterruptedException {
        this.leaveGroup = leaveGroup;
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (!finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("processor loop did not stop within {}", timeout);
            return false;
        }
        return true;
    }

    private void closeClients() {
        if (session != null) {
            // Aborts a transaction still open: the coordinator would, later.
            session.close();
        }
        if (consumer != null) {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5))
                    .withGroupMembershipOperation(
                            leaveGroup
                                    ? org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation
                                            .LEAVE_GROUP
                                    : org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.DEFAULT));
        }
    }

    private void transitionTo(State next) {
        Check.state(state.canTransitionTo(next), "processor loop: invalid transition from %s to %s", state, next);
        state = next;
    }

    /** Revocation happens inside poll(), between transactions: nothing is open to abort then. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Check.state(state != State.IN_TRANSACTION, "partitions revoked while a transaction is open");
            metrics.rebalances.increment();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("assigned {}", partitions);
        }
    }
}
