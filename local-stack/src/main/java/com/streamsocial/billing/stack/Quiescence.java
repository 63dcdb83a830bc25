package com.streamsocial.billing.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Test support: reads topics to their end once nothing more can come, instead of sleeping and hoping
 * that a late duplicate shows up in time. A topic is quiet when every partition's last stable offset
 * equals its high watermark (no transaction open on it); a consumer group is caught up when nothing
 * committed lies after its committed offsets. Each wait fails ({@link AssertionError}) after its
 * bound, naming what is still open.
 */
public final class Quiescence {
    private static final long POLL_MS = 200;

    private Quiescence() {}

    /**
     * Waits until the processor group {@code group} has consumed all of {@code input} and every topic
     * of {@code outputs} is quiet; then reads each output to its last stable offset (read_committed).
     * The group's outputs are written in the transaction that commits its offsets, so once it is caught
     * up and its outputs are quiet, it has nothing left to write.
     */
    public static Map<String, List<ConsumerRecord<String, byte[]>>> readAfterConsumed(
            String bootstrap, String group, String input, Collection<String> outputs, Duration bound) {
        long deadlineNs = System.nanoTime() + bound.toNanos();
        awaitQuiet(bootstrap, List.of(input), remaining(deadlineNs));
        awaitCaughtUp(bootstrap, group, input, remaining(deadlineNs));
        Map<String, List<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
        for (String topic : outputs) {
            out.put(topic, readToEnd(bootstrap, topic, remaining(deadlineNs)));
        }
        return out;
    }

    /** Waits until {@code topic} is quiet, then reads it from the beginning to its last stable offset. */
    public static List<ConsumerRecord<String, byte[]>> readToEnd(String bootstrap, String topic, Duration bound) {
        awaitQuiet(bootstrap, List.of(topic), bound);
        // A read_committed consumer's end offsets are the last stable offsets: it reads to them.
        return TopicReader.readAll(bootstrap, topic, true);
    }

    /** Waits until every partition of {@code topics} has its last stable offset at its high watermark. */
    public static void awaitQuiet(String bootstrap, Collection<String> topics, Duration bound) {
        long deadlineNs = System.nanoTime() + bound.toNanos();
        try (Admin admin = admin(bootstrap)) {
            List<TopicPartition> open = openPartitions(admin, topics);
            while (!open.isEmpty()) {
                if (System.nanoTime() > deadlineNs) {
                    throw new AssertionError("transactions still open after " + bound + " on " + open);
                }
                Thread.sleep(POLL_MS);
                open = openPartitions(admin, topics);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until {@code group} has committed offsets on every partition of {@code topic} after which
     * no committed record lies (a transaction marker may follow the last record it consumed).
     */
    public static void awaitCaughtUp(String bootstrap, String group, String topic, Duration bound) {
        long deadlineNs = System.nanoTime() + bound.toNanos();
        try (Admin admin = admin(bootstrap)) {
            int behind = recordsBehind(admin, bootstrap, group, topic);
            while (behind > 0) {
                if (System.nanoTime() > deadlineNs) {
                    throw new AssertionError(
                            "group " + group + " still " + behind + " records behind on " + topic + " after " + bound);
                }
                Thread.sleep(POLL_MS);
                behind = recordsBehind(admin, bootstrap, group, topic);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Committed records of {@code topic} at or after the group's offsets (all of them where it has none). */
    private static int recordsBehind(Admin admin, String bootstrap, String group, String topic) {
        Map<TopicPartition, OffsetAndMetadata> committed =
                get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> from = new HashMap<>();
        committed.forEach((tp, om) -> {
            if (tp.topic().equals(topic) && om != null) {
                from.put(tp, om.offset());
            }
        });
        return TopicReader.readFrom(bootstrap, topic, from, true).size();
    }

    /** Partitions of {@code topics} whose last stable offset is below their high watermark. */
    private static List<TopicPartition> openPartitions(Admin admin, Collection<String> topics) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        get(admin.describeTopics(topics).allTopicNames())
                .forEach((name, d) -> d.partitions()
                        .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        var stable = get(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all());
        var high = get(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all());
        List<TopicPartition> open = new ArrayList<>();
        latest.keySet().forEach(tp -> {
            if (stable.get(tp).offset() != high.get(tp).offset()) {
                open.add(tp);
            }
        });
        return open;
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of("bootstrap.servers", bootstrap, "request.timeout.ms", 10_000));
    }

    private static Duration remaining(long deadlineNs) {
        return Duration.ofNanos(Math.max(0, deadlineNs - System.nanoTime()));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
