package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.stack.EmbeddedKafka;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chaos command's own quiescence look ({@link Quiescence#check}) on a real broker: a partition
 * with a transaction still open is reported, with its last stable offset and high watermark, until the
 * transaction ends (committed or aborted); a partition without one, or of a topic not asked about, is
 * not. (The chaos run verifies only once the look comes back empty: a look that always said "at rest"
 * would let it read before an open transaction's records are decided.)
 */
class ChaosQuiescenceIT {
    private static final String TOPIC = "chaos.quiet";
    private static final String OTHER = "chaos.other";
    /** How long a decided transaction's markers may take to reach its partitions (written after the answer). */
    private static final long MARKERS_WAIT_MS = 30_000;

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kafka.createTopics(List.of(TOPIC, OTHER), 2);
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    @Test
    void anOpenTransactionIsReportedOnItsPartitionUntilItCommitsOrAborts() throws Exception {
        assertThat(Quiescence.check(kafka.bootstrapServers(), List.of(TOPIC))).isEmpty();
        try (KafkaProducer<String, byte[]> p = producer("chaos-quiescence-it")) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>(TOPIC, 1, "open", new byte[] {1})).get();
            assertThat(Quiescence.check(kafka.bootstrapServers(), List.of(TOPIC)))
                    .containsExactly(TOPIC + "-1: last stable offset 0 below high watermark 1");
            p.commitTransaction();
            assertThat(awaitRest(List.of(TOPIC))).isEmpty();

            // An aborted transaction holds its partition the same way until it is decided.
            p.beginTransaction();
            p.send(new ProducerRecord<>(TOPIC, 0, "aborted", new byte[] {2})).get();
            assertThat(Quiescence.check(kafka.bootstrapServers(), List.of(TOPIC)))
                    .containsExactly(TOPIC + "-0: last stable offset 0 below high watermark 1");
            p.abortTransaction();
            assertThat(awaitRest(List.of(TOPIC))).isEmpty();
        }
    }

    @Test
    void onlyTheTopicsAskedAboutAreLookedAt() throws Exception {
        try (KafkaProducer<String, byte[]> p = producer("chaos-quiescence-it-other")) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>(OTHER, 0, "open", new byte[] {1})).get();
            assertThat(Quiescence.check(kafka.bootstrapServers(), List.of(TOPIC)))
                    .as("%s is not asked about", OTHER)
                    .isEmpty();
            assertThat(Quiescence.check(kafka.bootstrapServers(), List.of(TOPIC, OTHER)))
                    .containsExactly(OTHER + "-0: last stable offset 0 below high watermark 1");
            p.abortTransaction();
            assertThat(awaitRest(List.of(TOPIC, OTHER))).isEmpty();
        }
    }

    /**
     * What still holds {@code topics} once the markers of the decided transactions had their bound to
     * arrive: empty as soon as they are at rest. A bound, not a timing assertion.
     */
    private static List<String> awaitRest(List<String> topics) throws Exception {
        long deadline = System.currentTimeMillis() + MARKERS_WAIT_MS;
        List<String> held = Quiescence.check(kafka.bootstrapServers(), topics);
        while (!held.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            held = Quiescence.check(kafka.bootstrapServers(), topics);
        }
        return held;
    }

    private static KafkaProducer<String, byte[]> producer(String transactionalId) {
        return new KafkaProducer<>(KafkaSafety.transactionalProducer(
                Map.of("bootstrap.servers", kafka.bootstrapServers()), transactionalId, 60_000));
    }
}
