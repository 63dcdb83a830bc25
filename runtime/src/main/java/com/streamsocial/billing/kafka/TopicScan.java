package com.streamsocial.billing.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads every partition of a topic, without a consumer group, from a start to the end offsets as of
 * the call. With read_committed the end is the last stable offset, so open transactions are not
 * waited for. Used by reconciliation and by the tests that count what a topic holds.
 */
public final class TopicScan {
    private TopicScan() {}

    /** What to do with each record; may throw, which ends the scan. */
    @FunctionalInterface
    public interface Handler {
        void accept(ConsumerRecord<String, byte[]> record) throws Exception;
    }

    /** Where to start: given offsets (the beginning for partitions not named), or a timestamp. */
    public record StartAt(Map<TopicPartition, Long> offsets, long timestampMs) {
        public static StartAt offsets(Map<TopicPartition, Long> offsets) {
            return new StartAt(Map.copyOf(offsets), -1);
        }

        /** The first record stamped at or after {@code timestampMs}; the end where there is none. */
        public static StartAt timestamp(long timestampMs) {
            return new StartAt(Map.of(), Math.max(0, timestampMs));
        }
    }

    /** Scans {@code topic} to its current end within {@code timeout}; returns the records seen. */
    public static long readToEnd(
            Consumer<String, byte[]> consumer, String topic, StartAt start, Duration timeout, Handler each)
            throws Exception {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        Map<TopicPartition, Long> from = new HashMap<>();
        if (start.timestampMs() >= 0) {
            Map<TopicPartition, Long> ts = new HashMap<>();
            parts.forEach(tp -> ts.put(tp, start.timestampMs()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(ts);
            parts.forEach(tp -> from.put(
                    tp, found.get(tp) == null ? end.get(tp) : found.get(tp).offset()));
        } else {
            parts.forEach(tp -> from.put(tp, start.offsets().getOrDefault(tp, 0L)));
        }
        parts.forEach(tp -> consumer.seek(tp, from.get(tp)));
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen = 0;
        while (!reached(consumer, parts, end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + topic + " to its end within " + timeout);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                each.accept(r);
                seen++;
            }
        }
        return seen;
    }

    private static boolean reached(
            Consumer<String, byte[]> c, List<TopicPartition> parts, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : parts) {
            if (c.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }
}
