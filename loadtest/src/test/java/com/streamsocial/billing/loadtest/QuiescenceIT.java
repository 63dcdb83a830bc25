package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.Quiescence;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared read-to-the-end helper on a real broker: a transaction left open keeps a topic from
 * being quiet until it ends (so a record it holds is read, not missed by a fixed wait), and a group
 * is caught up only when no committed record lies after its offsets.
 */
class QuiescenceIT {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kafka.createTopics(List.of("quiet.open", "quiet.group"), 2);
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    @Test
    void anOpenTransactionIsWaitedForAndItsRecordRead() throws Exception {
        try (KafkaProducer<String, byte[]> p = producer("quiescence-it")) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>("quiet.open", 0, "late", new byte[] {1}))
                    .get();
            assertThatThrownBy(() -> Quiescence.awaitQuiet(
                            kafka.bootstrapServers(), List.of("quiet.open"), Duration.ofSeconds(2)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("quiet.open-0");
            // The transaction commits while the helper waits: it returns and the record is read.
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                sleep(1_500);
                p.commitTransaction();
            });
            var records = Quiescence.readToEnd(kafka.bootstrapServers(), "quiet.open", Duration.ofSeconds(60));
            commit.get();
            assertThat(records).extracting(r -> r.key()).containsExactly("late");
        }
    }

    @Test
    void aGroupIsCaughtUpOnlyWhenNothingCommittedLiesAfterItsOffsets() throws Exception {
        try (KafkaProducer<String, byte[]> p = producer("quiescence-it-group")) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>("quiet.group", 0, "a", new byte[] {1}));
            p.send(new ProducerRecord<>("quiet.group", 0, "b", new byte[] {2}));
            p.commitTransaction();
        }
        TopicPartition tp = new TopicPartition("quiet.group", 0);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            // One record read of two: behind.
            admin.alterConsumerGroupOffsets("quiet-group", Map.of(tp, new OffsetAndMetadata(1)))
                    .all()
                    .get();
            assertThatThrownBy(() -> Quiescence.awaitCaughtUp(
                            kafka.bootstrapServers(), "quiet-group", "quiet.group", Duration.ofSeconds(2)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("1 records behind");
            // Both read: the commit marker after them does not count as behind.
            admin.alterConsumerGroupOffsets("quiet-group", Map.of(tp, new OffsetAndMetadata(2)))
                    .all()
                    .get();
            Quiescence.awaitCaughtUp(kafka.bootstrapServers(), "quiet-group", "quiet.group", Duration.ofSeconds(30));
        }
    }

    private static KafkaProducer<String, byte[]> producer(String transactionalId) {
        return new KafkaProducer<>(KafkaSafety.transactionalProducer(
                Map.of("bootstrap.servers", kafka.bootstrapServers()), transactionalId, 60_000));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
