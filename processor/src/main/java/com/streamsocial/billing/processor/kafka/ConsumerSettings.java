package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.ProcessorConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The consumer settings of one processor loop: read_committed in the processor's group, static
 * membership as the loop's member id, fuller fetches under load, and keys as bytes. The
 * {@code kafka.*} pass-through settings win where they set the same key, except the member id.
 */
public final class ConsumerSettings {
    /** Bytes a fetch waits for (about 160 billing events), unless {@link #FETCH_MAX_WAIT_MS} passes first. */
    public static final int FETCH_MIN_BYTES = 64 * 1024;
    /** Longest a fetch waits for {@link #FETCH_MIN_BYTES}: the latency it may add to a quiet partition. */
    public static final int FETCH_MAX_WAIT_MS = 20;

    private ConsumerSettings() {}

    /** The consumer of one loop: read_committed, static membership as {@code memberId}, byte keys. */
    public static Map<String, Object> forLoop(ProcessorConfig config, String memberId) {
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
}
