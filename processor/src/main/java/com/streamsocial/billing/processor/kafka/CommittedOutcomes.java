package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.batch.PublishedOutcomes;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PublishedOutcomes} read from payments.results itself, read_committed. Only re-emissions ask,
 * and only replays make them, so the cost is a rare bounded scan: every results partition from
 * {@link #LOOKBACK_MS} before the earliest decision asked about, up to the high watermark seen when
 * the lookup began. Reaching that watermark under read_committed means every transaction with records
 * below it has ended, so an outcome committed there is seen and an aborted one is not; a transaction
 * still open past {@link #LOOKUP_MS_MAX} fails the lookup. One named thread owns the consumer and the
 * admin client.
 *
 * <p>Why: the chaos run in CI on 2026-12-07 found one batch committed twice around a broker restart
 * (both transactions committed, 4 payments with 2 outcomes each). The planner re-emits a stored outcome
 * when the record that claimed it is read again, which is right only if the earlier transaction did not
 * commit. This makes that condition checked instead of assumed.
 */
public final class CommittedOutcomes implements PublishedOutcomes {
    /** How far before a payment's decision its outcome's record may be stamped: clock skew, generously. */
    static final long LOOKBACK_MS = 60_000;

    /** Longest lookup, waiting for open transactions included; past it the batch fails and is retried. */
    static final long LOOKUP_MS_MAX = 30_000;

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Logger log = LoggerFactory.getLogger(CommittedOutcomes.class);

    private final WorkerExecutor worker;
    private final Map<String, Object> kafka;
    // Touched only on the worker's one thread.
    private KafkaConsumer<String, byte[]> consumer;
    private Admin admin;

    public CommittedOutcomes(Vertx vertx, Map<String, Object> kafka) {
        this.worker = vertx.createSharedWorkerExecutor("processor-outcome-lookup", 1);
        this.kafka = Map.copyOf(kafka);
    }

    @Override
    public Future<Set<String>> committed(List<StoredPayment> payments) {
        if (payments.isEmpty()) {
            return Future.succeededFuture(Set.of());
        }
        Set<String> wanted = payments.stream().map(StoredPayment::paymentId).collect(Collectors.toSet());
        long fromMs =
                payments.stream().mapToLong(StoredPayment::decidedAtMs).min().orElseThrow() - LOOKBACK_MS;
        return worker.executeBlocking(() -> scan(wanted, fromMs), true);
    }

    private Set<String> scan(Set<String> wanted, long fromMs) throws Exception {
        open();
        long deadline = System.currentTimeMillis() + LOOKUP_MS_MAX;
        List<TopicPartition> partitions =
                consumer.partitionsFor(Topics.RESULTS, Duration.ofMillis(LOOKUP_MS_MAX)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
        Map<TopicPartition, Long> end = offsets(partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> start = offsets(partitions, OffsetSpec.forTimestamp(fromMs));
        consumer.assign(partitions);
        for (TopicPartition tp : partitions) {
            // No record stamped at or after fromMs: nothing to read there.
            long from = start.get(tp) < 0 ? end.get(tp) : start.get(tp);
            consumer.seek(tp, from);
        }
        Set<String> found = new HashSet<>();
        long scanned = 0;
        while (!reached(partitions, end)) {
            if (System.currentTimeMillis() > deadline) {
                throw new TimeoutException("payments.results did not become stable up to " + end + " within "
                        + LOOKUP_MS_MAX + " ms (a transaction still open)");
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                scanned++;
                if (r.key() != null && wanted.contains(r.key())) {
                    found.add(r.key());
                }
            }
        }
        log.info(
                "outcome lookup: {} of {} stored outcomes already committed ({} records read)",
                found.size(),
                wanted.size(),
                scanned);
        return found;
    }

    private boolean reached(List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp, POLL) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    /** Offsets by the log as written (read_uncommitted): open transactions' records included. */
    private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        partitions.forEach(tp -> ask.put(tp, spec));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> got = admin.listOffsets(
                        ask, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all()
                .get(LOOKUP_MS_MAX, TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        got.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    private void open() {
        if (consumer == null) {
            Map<String, Object> c = KafkaSafety.readCommittedConsumer(new HashMap<>(kafka), null);
            c.put("client.id", "processor-outcome-lookup");
            consumer = new KafkaConsumer<>(c);
        }
        if (admin == null) {
            admin = Admin.create(KafkaSafety.admin(kafka));
        }
    }

    /** Closes the clients on their own thread, then the thread. */
    public Future<Void> close() {
        return worker.<Void>executeBlocking(
                        () -> {
                            if (consumer != null) {
                                consumer.close(
                                        org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
                            }
                            if (admin != null) {
                                admin.close(Duration.ofSeconds(5));
                            }
                            return null;
                        },
                        true)
                .eventually(worker::close);
    }
}
