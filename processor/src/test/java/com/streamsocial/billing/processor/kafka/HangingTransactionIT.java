package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.TempDirs;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A real hanging transaction, as a chaos run left it (broker SIGKILLed during a processor's
 * transaction, Kafka 4.4): the broker's log directory from that run is the fixture. Producer 1002 of
 * {@code processor-processor-1} has a transaction open on {@code payments.metrics-0},
 * {@code payments.results-0} and {@code __consumer_offsets-0}, which its coordinator shows as Empty.
 * The processor loop owning {@code payments.billing-0} waited at UNSTABLE_OFFSET_COMMIT for good. The
 * watchdog must abort it, and the group must then be able to read its offset again; and it must hand
 * the payments whose outcomes were only in the aborted records of {@code payments.results-0} to the
 * re-drive (here, the group's offsets were held too, so the loop would read them again anyway: the
 * re-drive is then answered by the outcome check, see ReplayedOutcomeIT).
 */
class HangingTransactionIT {
    private static final List<TopicPartition> HELD = List.of(
            new TopicPartition("payments.metrics", 0),
            new TopicPartition("payments.results", 0),
            new TopicPartition("__consumer_offsets", 0));

    @Test
    void theWatchdogAbortsAProcessorTransactionItsCoordinatorForgotAndTheGroupReadsOnAgain() throws Exception {
        Path dir = TempDirs.create("billing-hanging-");
        unzip(dir);
        try (EmbeddedKafka kafka = EmbeddedKafka.startOn(dir.resolve("kafka-logs"));
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<TopicPartition, long[]> before = stableAndHigh(admin);
            for (TopicPartition tp : HELD) {
                assertThat(before.get(tp)[0])
                        .as("the fixture holds %s back", tp)
                        .isLessThan(before.get(tp)[1]);
            }
            ServiceMetrics service = new ServiceMetrics();
            // The outcome records the hanging transaction wrote: its open range of results-0.
            TopicPartition results0 = new TopicPartition("payments.results", 0);
            java.util.Set<String> open = new java.util.HashSet<>(keys(kafka, results0, before.get(results0)[0], false));
            open.removeAll(keys(kafka, results0, before.get(results0)[0], true));
            assertThat(open).as("the fixture's open outcome records").isNotEmpty();
            java.util.List<java.util.Set<String>> redriven = new java.util.concurrent.CopyOnWriteArrayList<>();
            HangingTransactionWatchdog watchdog = new HangingTransactionWatchdog(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    "processor-",
                    1_000,
                    TimeUnit.HOURS.toMillis(1), // no scheduled check: this test runs it
                    System::currentTimeMillis,
                    new ProcessorMeters(service),
                    redriven::add);
            try {
                watchdog.check();
            } finally {
                watchdog.close();
            }
            Map<TopicPartition, long[]> after = stableAndHigh(admin);
            for (TopicPartition tp : HELD) {
                assertThat(after.get(tp)[0]).as("%s after the abort", tp).isEqualTo(after.get(tp)[1]);
            }
            assertThat(service.count("processor.transactions.hanging.aborted")).isEqualTo(3.0);
            assertThat(redriven)
                    .as("the payments whose outcomes were only in the aborted records, handed to the re-drive once")
                    .containsExactly(open);
            // The loop's wait: a read_committed member of the group fetching its committed offset.
            Map<String, Object> c = new HashMap<>();
            c.put("bootstrap.servers", kafka.bootstrapServers());
            c.put("group.id", "billing-processor");
            c.put("isolation.level", "read_committed");
            c.put("enable.auto.commit", false);
            c.put("key.deserializer", ByteArrayDeserializer.class.getName());
            c.put("value.deserializer", ByteArrayDeserializer.class.getName());
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
                TopicPartition billing0 = new TopicPartition("payments.billing", 0);
                consumer.assign(List.of(billing0));
                assertThat(consumer.position(billing0, Duration.ofSeconds(30)))
                        .as("the group's committed offset of billing-0, stable again (the batch is read again)")
                        .isEqualTo(149);
            }
        }
    }

    /** The keys from {@code from} to the high watermark, read_committed or not (before any abort: to the LSO). */
    private static java.util.Set<String> keys(EmbeddedKafka kafka, TopicPartition tp, long from, boolean committed) {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("isolation.level", committed ? "read_committed" : "read_uncommitted");
        c.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        c.put("value.deserializer", ByteArrayDeserializer.class.getName());
        java.util.Set<String> out = new java.util.HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.key()));
            }
        }
        return out;
    }

    /** Last stable offset and high watermark of each {@link #HELD} partition. */
    private static Map<TopicPartition, long[]> stableAndHigh(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        HELD.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        var lso = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(30, TimeUnit.SECONDS);
        var hw = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, long[]> out = new HashMap<>();
        HELD.forEach(tp ->
                out.put(tp, new long[] {lso.get(tp).offset(), hw.get(tp).offset()}));
        return out;
    }

    static void unzip(Path into) throws Exception {
        try (InputStream in = HangingTransactionIT.class.getResourceAsStream("/kafka/hanging-transaction-logdir.zip");
                ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                Path p = into.resolve(e.getName()).normalize();
                if (!p.startsWith(into)) {
                    throw new IllegalStateException("zip entry outside the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.copy(zip, p);
                }
            }
        }
    }
}
