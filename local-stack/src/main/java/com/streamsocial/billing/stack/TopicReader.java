package com.streamsocial.billing.stack;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TopicScan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Test support: reads a whole topic, or the part after given offsets, without a consumer group, under
 * read_committed (what downstream consumers see) or read_uncommitted (what was written at all).
 */
public final class TopicReader {
    private TopicReader() {}

    /** Log-end offsets of every partition: a mark to read from later. */
    public static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrap, true)) {
            return c.endOffsets(partitions(c, topic));
        }
    }

    public static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, boolean committedOnly) {
        return readFrom(bootstrap, topic, Map.of(), committedOnly);
    }

    /**
     * Reads from {@code from} (the beginning for partitions not named) up to the end offsets as of
     * the call. With read_committed, the end is the last stable offset, so open transactions are not
     * waited for.
     */
    public static List<ConsumerRecord<String, byte[]>> readFrom(
            String bootstrap, String topic, Map<TopicPartition, Long> from, boolean committedOnly) {
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrap, committedOnly)) {
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            TopicScan.readToEnd(c, topic, TopicScan.StartAt.offsets(from), Duration.ofSeconds(60), out::add);
            return out;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, p.partition()));
        }
        return parts;
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap, boolean committedOnly) {
        Map<String, Object> pass = new HashMap<>();
        pass.put("bootstrap.servers", bootstrap);
        pass.put("max.poll.records", 5_000);
        Map<String, Object> config = KafkaSafety.readCommittedConsumer(pass, null);
        if (!committedOnly) {
            config.put("isolation.level", "read_uncommitted");
        }
        return new KafkaConsumer<>(config);
    }
}
