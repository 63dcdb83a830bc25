package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.kafka.HangingTransactions.Coordinator;
import com.streamsocial.billing.processor.kafka.HangingTransactions.CoordinatorState;
import com.streamsocial.billing.processor.kafka.HangingTransactions.OpenTransaction;
import com.streamsocial.billing.processor.kafka.HangingTransactions.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and ends hanging transactions on the partitions the processors write (outcomes, metrics
 * events, dead letters, and the group's offsets), as {@code kafka-transactions.sh find-hanging} and
 * {@code abort} would, every {@code processor.hangingCheckMs}, on its own named thread. Which ones it
 * aborts, and why that is safe, is {@link HangingTransactions}'s to say; every one found is logged and
 * counted, so that a stall the watchdog may not touch still pages someone.
 *
 * <p>Why it exists: a broker killed at the wrong moment of a transaction can leave one open on a
 * partition while its coordinator has moved on (seen in the chaos runs with Kafka 4.4). Nothing in
 * Kafka ever ends it, and the processor loop that owns the partition waits at
 * {@code UNSTABLE_OFFSET_COMMIT} for good: billing stops, silently.
 *
 * <p>An abort on payments.results can take away outcomes whose batch's offsets did commit: the same
 * broker kill can leave a transaction committed on {@code __consumer_offsets} and open on the data
 * partitions (the chaos run of 2026-12-07: COMMIT marker on {@code __consumer_offsets-0}, none on
 * {@code payments.results-1} and {@code -2}). Nothing would read those records again, so the watchdog
 * hands the payment ids whose outcomes are now only aborted ({@link AbortedOutcomes}) to
 * {@code redrive}, which sends their billing events through the processor again: the loop owning
 * them re-emits each stored outcome unless payments.results holds it committed ({@link
 * CommittedOutcomes}), so the repair cannot duplicate what a re-read batch emits.
 */
public final class HangingTransactionWatchdog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HangingTransactionWatchdog.class);

    /** A transaction is hanging once unwritten this many transaction timeouts (the coordinator's own limit). */
    public static final int HANGING_AFTER_TRANSACTION_TIMEOUTS = 2;
    /** Longest one admin call may take. */
    static final int ADMIN_TIMEOUT_MS = 15_000;
    /** Transactions aborted per check, at most: a flood of them is a broken cluster, not a race. */
    static final int ABORTS_PER_CHECK_MAX = 64;

    private static final String OFFSETS_TOPIC = "__consumer_offsets";
    /**
     * Every topic a processor's transaction writes, refund outcomes included: an abort marker is written
     * per partition, so an open transaction is ended only where the watchdog looks.
     */
    static final List<String> WRITTEN_TOPICS =
            List.of(Topics.RESULTS, Topics.METRICS, Topics.DLQ, Topics.REFUND_RESULTS);

    private final Map<String, Object> kafka;
    private final String ourIdPrefix;
    private final long hangingAfterMs;
    private final LongSupplier clock;
    private final ProcessorMeters metrics;
    private final java.util.function.Consumer<Set<String>> redrive;
    private final AtomicLong notOurs = new AtomicLong();
    private final ScheduledExecutorService thread;
    private Admin admin; // touched on the watchdog thread only

    /**
     * Checks every {@code checkMs}; transactions of ids starting with {@code ourIdPrefix} are aborted
     * once unwritten for {@link #HANGING_AFTER_TRANSACTION_TIMEOUTS} times {@code transactionTimeoutMs}.
     */
    public HangingTransactionWatchdog(
            Map<String, Object> kafka,
            String ourIdPrefix,
            long transactionTimeoutMs,
            long checkMs,
            LongSupplier clock,
            ProcessorMeters metrics) {
        this(kafka, ourIdPrefix, transactionTimeoutMs, checkMs, clock, metrics, ids -> {});
    }

    /** As above; {@code redrive} is given the payments whose outcomes an abort took away. */
    public HangingTransactionWatchdog(
            Map<String, Object> kafka,
            String ourIdPrefix,
            long transactionTimeoutMs,
            long checkMs,
            LongSupplier clock,
            ProcessorMeters metrics,
            java.util.function.Consumer<Set<String>> redrive) {
        this.redrive = redrive;
        this.kafka = Map.copyOf(kafka);
        this.ourIdPrefix = ourIdPrefix;
        this.hangingAfterMs = HANGING_AFTER_TRANSACTION_TIMEOUTS * transactionTimeoutMs;
        this.clock = clock;
        this.metrics = metrics;
        metrics.hangingUnowned(notOurs::get);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "processor-hanging-transactions");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::checkQuietly, checkMs, checkMs, TimeUnit.MILLISECONDS);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("could not check for hanging transactions: {}", e.toString());
        }
    }

    /** One pass: the held partitions, their open transactions, the verdicts, the aborts. */
    void check() throws Exception {
        if (admin == null) {
            Map<String, Object> p = new HashMap<>(kafka);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ADMIN_TIMEOUT_MS / 3);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ADMIN_TIMEOUT_MS);
            admin = Admin.create(p);
        }
        List<String> topics = new ArrayList<>(WRITTEN_TOPICS);
        topics.add(OFFSETS_TOPIC);
        // Only those that exist: describing a missing one fails the whole pass, and a cluster made
        // before a topic was added (payments.refund-results) has no transaction open on it.
        topics.retainAll(admin.listTopics(new ListTopicsOptions().listInternal(true))
                .names()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        List<TopicPartition> held = heldPartitions(admin, topics, ADMIN_TIMEOUT_MS).stream()
                .map(Held::partition)
                .toList();
        if (held.isEmpty()) {
            notOurs.set(0);
            return;
        }
        long now = clock.getAsLong();
        int aborted = 0;
        long others = 0;
        for (Open o : openTransactions(held)) {
            OpenTransaction open = o.transaction();
            if (now - open.lastWriteMs() < HangingTransactions.MOVED_ON_SETTLED_MS) {
                continue; // Recent: no need to ask the coordinator.
            }
            Coordinator c = coordinatorOf(open.producerId());
            Verdict v = HangingTransactions.judge(open, c, ourIdPrefix, now, hangingAfterMs);
            if (v == Verdict.NOT_OURS) {
                others++;
                log.error(
                        "hanging transaction on {} from offset {} (producer {} epoch {}, {}): not a processor's,"
                                + " left alone; end it with kafka-transactions.sh abort (see OPERATIONS.md)",
                        o.partition(),
                        open.startOffset(),
                        open.producerId(),
                        open.producerEpoch(),
                        c == null ? "no transactional id" : c.transactionalId() + " " + c.state());
            } else if (v == Verdict.HANGING && aborted < ABORTS_PER_CHECK_MAX) {
                abort(o, c, now);
                aborted++;
                if (o.partition().topic().equals(Topics.RESULTS)) {
                    redriveAborted(o);
                }
            }
        }
        notOurs.set(others);
    }

    /** Hands the payments whose outcomes the abort on {@code o}'s partition took away to the re-drive. */
    private void redriveAborted(Open o) throws Exception {
        TopicPartition tp = o.partition();
        long end = admin.listOffsets(
                        Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .get(tp)
                .offset();
        Set<String> ids = AbortedOutcomes.keys(kafka, tp, o.transaction().startOffset(), end, ADMIN_TIMEOUT_MS);
        if (!ids.isEmpty()) {
            log.warn(
                    "{} payments had their outcomes only in aborted records of {} from offset {}: re-driving them",
                    ids.size(),
                    tp,
                    o.transaction().startOffset());
            metrics.hangingRedriven.increment(ids.size());
            redrive.accept(ids);
        }
    }

    /** An open transaction on a held partition, with the coordinator epoch an abort must carry. */
    private record Open(TopicPartition partition, OpenTransaction transaction, int coordinatorEpoch) {}

    /** The open transactions of the active producers on {@code held}. */
    private List<Open> openTransactions(List<TopicPartition> held) throws Exception {
        var producers = admin.describeProducers(held).all().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        List<Open> open = new ArrayList<>();
        for (TopicPartition tp : held) {
            var state = producers.get(tp);
            if (state == null) {
                continue;
            }
            for (ProducerState s : state.activeProducers()) {
                if (s.currentTransactionStartOffset().isEmpty()) {
                    continue;
                }
                open.add(new Open(
                        tp,
                        new OpenTransaction(
                                tp.topic(),
                                tp.partition(),
                                s.producerId(),
                                s.producerEpoch(),
                                s.currentTransactionStartOffset().getAsLong(),
                                s.lastTimestamp()),
                        s.coordinatorEpoch().orElse(-1)));
            }
        }
        return open;
    }

    /** Aborts a processor's hanging transaction through the partition leader, and counts it. */
    private void abort(Open o, Coordinator c, long now) throws Exception {
        OpenTransaction open = o.transaction();
        log.warn(
                "aborting hanging transaction on {} from offset {}: producer {} epoch {} of {}, which its"
                        + " coordinator has {} at producer {} epoch {} (last write {} ms ago)",
                o.partition(),
                open.startOffset(),
                open.producerId(),
                open.producerEpoch(),
                c.transactionalId(),
                c.state(),
                c.producerId(),
                c.producerEpoch(),
                now - open.lastWriteMs());
        admin.abortTransaction(new AbortTransactionSpec(
                        o.partition(), open.producerId(), (short) open.producerEpoch(), o.coordinatorEpoch()))
                .all()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        metrics.hangingAborted.increment();
    }

    /** A partition held back: its last stable offset is below its high watermark. */
    public record Held(TopicPartition partition, long lastStableOffset, long highWatermark) {}

    /**
     * The partitions of {@code topics} whose last stable offset is below the high watermark: only those
     * can hold an open transaction. Each admin call waits at most {@code timeoutMs}.
     */
    public static List<Held> heldPartitions(Admin admin, List<String> topics, long timeoutMs) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicDescription d : admin.describeTopics(topics)
                .allTopicNames()
                .get(timeoutMs, TimeUnit.MILLISECONDS)
                .values()) {
            d.partitions().forEach(i -> latest.put(new TopicPartition(d.name(), i.partition()), OffsetSpec.latest()));
        }
        var hw = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        var lso = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        List<Held> held = new ArrayList<>();
        for (TopicPartition tp : latest.keySet()) {
            if (lso.get(tp).offset() < hw.get(tp).offset()) {
                held.add(new Held(tp, lso.get(tp).offset(), hw.get(tp).offset()));
            }
        }
        return held;
    }

    /**
     * The coordinator's view of the transactional id that owns {@code producerId}, or null if none does
     * or several do. The listing fans out to every broker, and a broker may still answer for a
     * transaction-log partition it no longer leads (KAFKA-21481): the same id twice is one id (a set),
     * and the state comes from describeTransactions, which asks the id's current coordinator.
     */
    private Coordinator coordinatorOf(long producerId) throws Exception {
        List<String> ids = new ArrayList<>();
        for (TransactionListing l : admin.listTransactions(
                        new ListTransactionsOptions().filterProducerIds(Set.of(producerId)))
                .all()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            if (!ids.contains(l.transactionalId())) {
                ids.add(l.transactionalId());
            }
        }
        if (ids.size() != 1) {
            return null;
        }
        TransactionDescription d =
                admin.describeTransactions(ids).description(ids.get(0)).get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Set<String> partitions = new HashSet<>();
        d.topicPartitions().forEach(tp -> partitions.add(tp.topic() + "-" + tp.partition()));
        return new Coordinator(ids.get(0), state(d.state()), d.producerId(), d.producerEpoch(), partitions);
    }

    private static CoordinatorState state(TransactionState s) {
        return switch (s) {
            case ONGOING -> CoordinatorState.ONGOING;
            case PREPARE_COMMIT, PREPARE_ABORT, PREPARE_EPOCH_FENCE -> CoordinatorState.PREPARING;
            default -> CoordinatorState.IDLE;
        };
    }

    /** Stops checking; does not block (it may be called on an event loop): the admin client closes behind. */
    @Override
    public void close() {
        thread.shutdownNow();
        Thread closing = new Thread(
                () -> {
                    try {
                        thread.awaitTermination(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (admin != null) {
                        admin.close(java.time.Duration.ofSeconds(5));
                    }
                },
                "processor-hanging-transactions-close");
        closing.setDaemon(true);
        closing.start();
    }
}
