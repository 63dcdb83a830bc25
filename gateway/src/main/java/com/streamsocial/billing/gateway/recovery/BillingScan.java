package com.streamsocial.billing.gateway.recovery;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.Health;
import com.streamsocial.billing.kafka.KafkaSafety;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Which of a set of payment ids are on {@code payments.billing} in a committed transaction. Blocking:
 * run it on a named worker, never on an event loop.
 *
 * <p>It reads read_committed from the first offset at or after {@code fromTimestampMs} up to the log
 * end as it stands when the scan starts (read_uncommitted, so records of transactions still open are
 * inside the range). The read_committed position only passes an open transaction once it is decided,
 * so when the scan ends every transaction written before it started has been seen committed or
 * aborted. Memory: the id set, the ids found, and one poll of at most {@code max.poll.records}.
 */
public final class BillingScan {
    private BillingScan() {}

    public static Set<String> committed(
            Map<String, Object> kafka, Set<String> ids, long fromTimestampMs, long deadlineMs)
            throws TimeoutException, InterruptedException {
        Set<String> found = new HashSet<>();
        if (ids.isEmpty()) {
            return found;
        }
        try (KafkaConsumer<String, byte[]> consumer =
                        new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(kafka, null));
                Admin admin = Admin.create(Health.adminConfig(kafka))) {
            List<PartitionInfo> infos =
                    consumer.partitionsFor(Topics.BILLING, Duration.ofMillis(remaining(deadlineMs)));
            List<TopicPartition> partitions = infos.stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, Long> end = new HashMap<>();
            try {
                admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                        .all()
                        .get(remaining(deadlineMs), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .forEach((tp, info) -> end.put(tp, info.offset()));
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("could not read the end offsets of " + Topics.BILLING, e.getCause());
            }
            Map<TopicPartition, Long> at = new HashMap<>();
            partitions.forEach(tp -> at.put(tp, Math.max(0, fromTimestampMs)));
            Map<TopicPartition, OffsetAndTimestamp> start =
                    consumer.offsetsForTimes(at, Duration.ofMillis(remaining(deadlineMs)));
            consumer.assign(partitions);
            Set<TopicPartition> pending = new HashSet<>();
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp o = start.get(tp);
                long from = o == null ? end.get(tp) : o.offset();
                if (from < end.get(tp)) {
                    consumer.seek(tp, from);
                    pending.add(tp);
                }
            }
            consumer.assign(pending);
            while (!pending.isEmpty()) {
                if (System.currentTimeMillis() >= deadlineMs) {
                    throw new TimeoutException("scan of " + Topics.BILLING + " did not reach " + end + " in time");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (ids.contains(r.key())) {
                        found.add(r.key());
                    }
                }
                pending.removeIf(tp -> consumer.position(tp) >= end.get(tp));
                consumer.assign(pending);
            }
        }
        return found;
    }

    private static long remaining(long deadlineMs) throws TimeoutException {
        long ms = deadlineMs - System.currentTimeMillis();
        if (ms <= 0) {
            throw new TimeoutException("scan of " + Topics.BILLING + " ran out of time");
        }
        return ms;
    }
}
