package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.TempDirs;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A loop resolving an unknown commit looks up its group's committed offsets; a hanging transaction
 * holds them unstable until the watchdog aborts it. On the real hanging transaction of
 * {@link HangingTransactionIT}'s fixture (the group's offsets of {@code payments.billing-0} held), the
 * lookup times out, is made again, and returns the committed offset once the watchdog has aborted the
 * transaction. Before, the first timeout made the loop FATAL and the processor was restarted on its
 * liveness (the repeated 50-kill chaos run).
 */
class CommittedOffsetsIT {
    private static final TopicPartition BILLING_0 = new TopicPartition("payments.billing", 0);
    /** One lookup's bound here: short, so that the hanging transaction makes it time out soon. */
    private static final long LOOKUP_MS = 2_000;
    /** Bound on every wait of this test; not a timing assertion. */
    private static final long WAIT_MS = 120_000;

    @Test
    void aLookupHeldByAHangingTransactionIsMadeAgainUntilTheWatchdogAbortsIt() throws Exception {
        Path dir = TempDirs.create("billing-committed-");
        HangingTransactionIT.unzip(dir);
        try (EmbeddedKafka kafka = EmbeddedKafka.startOn(dir.resolve("kafka-logs"))) {
            AtomicInteger timeouts = new AtomicInteger();
            CountDownLatch timedOut = new CountDownLatch(1);
            CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> lookup = CompletableFuture.supplyAsync(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka.bootstrapServers())) {
                    consumer.assign(List.of(BILLING_0));
                    return CommittedOffsets.await(consumer, Set.of(BILLING_0), LOOKUP_MS, WAIT_MS, () -> true, () -> {
                        timeouts.incrementAndGet();
                        timedOut.countDown();
                    });
                }
            });
            assertThat(timedOut.await(WAIT_MS, TimeUnit.MILLISECONDS))
                    .as("the hanging transaction held the lookup past its bound")
                    .isTrue();

            HangingTransactionWatchdog watchdog = new HangingTransactionWatchdog(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    "processor-",
                    1_000,
                    TimeUnit.HOURS.toMillis(1), // no scheduled check: this test runs it
                    System::currentTimeMillis,
                    new ProcessorMeters(new ServiceMetrics()));
            try {
                watchdog.check();
            } finally {
                watchdog.close();
            }

            Map<TopicPartition, OffsetAndMetadata> committed = lookup.get(WAIT_MS, TimeUnit.MILLISECONDS);
            System.out.printf("committed offsets after %d timed-out lookups: %s%n", timeouts.get(), committed);
            assertThat(committed.get(BILLING_0).offset())
                    .as("the group's committed offset of billing-0, stable once the transaction was aborted")
                    .isEqualTo(149);
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        c.put("group.id", "billing-processor");
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", false);
        c.put("key.deserializer", ByteArrayDeserializer.class.getName());
        c.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(c);
    }
}
