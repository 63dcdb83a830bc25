package com.streamsocial.billing.kafka;

import java.util.HashMap;
import java.util.Map;

/**
 * Builds Kafka client configurations in three layers: operational defaults, then the user's
 * {@code kafka.*} pass-through keys, then the safety settings that exactly-once depends on. The last
 * layer wins, so {@code acks=all}, idempotence and {@code read_committed} cannot be configured away.
 */
public final class KafkaSafety {
    private KafkaSafety() {}

    /** A transactional producer's linger: records go out at the commit, which comes well before this. */
    public static final int TRANSACTIONAL_LINGER_MS = 1_000;

    /** A transactional producer: idempotent, acks from all in-sync replicas, bounded blocking. */
    public static Map<String, Object> transactionalProducer(
            Map<String, Object> passThrough, String transactionalId, int transactionTimeoutMs) {
        Map<String, Object> c = idempotentProducer(passThrough);
        // Records wait in the accumulator until the commit, which makes every batch sendable at once
        // (RecordAccumulator.ready: a completing transaction overrides linger): one produce request a
        // transaction instead of one per record the sender thread happened to catch, for the same
        // latency, since every transaction here sends its records and commits straight away.
        // delivery.timeout.ms must cover linger.ms + request.timeout.ms.
        if (!passThrough.containsKey("linger.ms")) {
            c.put("linger.ms", TRANSACTIONAL_LINGER_MS);
        }
        c.put("transactional.id", transactionalId);
        c.put("transaction.timeout.ms", transactionTimeoutMs);
        return c;
    }

    /** An idempotent producer with acks from all in-sync replicas, outside any transaction. */
    public static Map<String, Object> idempotentProducer(Map<String, Object> passThrough) {
        Map<String, Object> c = new HashMap<>();
        c.put("max.block.ms", 5_000);
        c.put("request.timeout.ms", 5_000);
        c.put("delivery.timeout.ms", 9_000);
        c.put("linger.ms", 0);
        // No compression by default: a payment's records are a few hundred bytes in small transactional
        // batches, where LZ4 cost CPU three times (the producer, the broker's validation, the consumer)
        // and its 64 KB block buffers per batch were 14% of the stack's allocation (JFR, docs/BENCHMARKS.md)
        // for bandwidth nobody is short of at a few MB/s. kafka.compression.type=lz4 turns it back on.
        c.put("compression.type", "none");
        // A transaction that starts right after the previous commit often meets its commit markers
        // still being written (CONCURRENT_TRANSACTIONS): retry in milliseconds, not the 100 ms default.
        c.put("retry.backoff.ms", 5);
        c.put("retry.backoff.max.ms", 100);
        c.putAll(passThrough);
        c.put("bootstrap.servers", passThrough.getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
        c.put("acks", "all");
        c.put("enable.idempotence", true);
        c.put("max.in.flight.requests.per.connection", 5);
        c.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        c.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        return c;
    }

    /** A consumer that sees committed transactions only and never commits offsets on its own. */
    public static Map<String, Object> readCommittedConsumer(Map<String, Object> passThrough, String groupId) {
        Map<String, Object> c = new HashMap<>();
        c.put("auto.offset.reset", "earliest");
        c.put("max.poll.records", 500);
        c.put("session.timeout.ms", 10_000);
        c.put("heartbeat.interval.ms", 1_000);
        c.putAll(passThrough);
        c.put("bootstrap.servers", passThrough.getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
        if (groupId != null) {
            c.put("group.id", groupId);
        }
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", false);
        c.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        c.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return c;
    }

    /**
     * An admin client for start-up checks: every {@code kafka.*} pass-through setting (TLS, SASL), with
     * bounded timeouts unless given.
     */
    public static Map<String, Object> admin(Map<String, Object> passThrough) {
        Map<String, Object> c = new HashMap<>();
        c.put("request.timeout.ms", 10_000);
        c.put("default.api.timeout.ms", 30_000);
        c.putAll(passThrough);
        c.put("bootstrap.servers", passThrough.getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
        // The admin client refuses a default.api.timeout.ms below request.timeout.ms.
        if (!passThrough.containsKey("default.api.timeout.ms")) {
            try {
                int request = Integer.parseInt(
                        String.valueOf(c.get("request.timeout.ms")).trim());
                c.put("default.api.timeout.ms", Math.max(30_000, request));
            } catch (NumberFormatException e) {
                // Not a number: left as given, for the admin client to refuse with its own message.
            }
        }
        return c;
    }
}
