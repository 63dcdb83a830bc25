package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link CommittedOutcomes} on a real broker: an outcome committed on payments.results is found, an
 * aborted one is not, one whose transaction is still open when the lookup begins is found once it
 * commits (the lookup waits for the transaction to end instead of answering from the last stable
 * offset), and a payment without any outcome is not found.
 */
class CommittedOutcomesIT {
    private static final long WAIT_S = 60;
    private static EmbeddedKafka kafka;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(FreePorts.pick());
        kafka.createTopics(Topics.ALL, 3);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        kafka.close();
    }

    @Test
    void findsCommittedOutcomesOnlyAndWaitsForAnOpenTransaction() throws Exception {
        try (KafkaProducer<String, byte[]> p = producer("committed-outcomes-it")) {
            p.initTransactions();
            transaction(p, "pay_committed", true);
            transaction(p, "pay_aborted", false);
            // Left open while the lookup starts; committed 2 s later.
            p.beginTransaction();
            p.send(new ProducerRecord<>(Topics.RESULTS, "pay_open_then_committed", new byte[] {1}));
            p.flush();

            CommittedOutcomes outcomes =
                    new CommittedOutcomes(vertx, Map.of("bootstrap.servers", kafka.bootstrapServers()));
            long now = System.currentTimeMillis();
            Future<Set<String>> lookup = outcomes.committed(List.of(
                    stored("pay_committed", now),
                    stored("pay_aborted", now),
                    stored("pay_open_then_committed", now),
                    stored("pay_never_emitted", now)));
            Thread.sleep(2_000);
            assertThat(lookup.isComplete())
                    .as("the lookup waits while a transaction is open")
                    .isFalse();
            p.commitTransaction();

            Set<String> found = lookup.toCompletionStage().toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
            assertThat(found).containsExactlyInAnyOrder("pay_committed", "pay_open_then_committed");
            outcomes.close().toCompletionStage().toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    @Test
    void abortedOutcomesAreTheKeysOnlyReadUncommittedReturns() throws Exception {
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(Topics.RESULTS, 0);
        long from;
        try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> c =
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(KafkaSafety.readCommittedConsumer(
                        new java.util.HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers())), null))) {
            from = c.endOffsets(List.of(tp)).get(tp);
        }
        try (KafkaProducer<String, byte[]> p = producer("aborted-outcomes-it")) {
            p.initTransactions();
            for (String[] kv : new String[][] {{"pay_kept", "c"}, {"pay_lost", "a"}, {"pay_kept_2", "c"}}) {
                p.beginTransaction();
                p.send(new ProducerRecord<>(Topics.RESULTS, 0, kv[0], new byte[] {1}));
                p.flush();
                if (kv[1].equals("c")) {
                    p.commitTransaction();
                } else {
                    p.abortTransaction();
                }
            }
        }
        long to;
        try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> c =
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(KafkaSafety.readCommittedConsumer(
                        new java.util.HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers())), null))) {
            to = c.endOffsets(List.of(tp)).get(tp);
        }
        assertThat(AbortedOutcomes.keys(Map.of("bootstrap.servers", kafka.bootstrapServers()), tp, from, to, 30_000))
                .containsExactly("pay_lost");
    }

    private static void transaction(KafkaProducer<String, byte[]> p, String key, boolean commit) {
        p.beginTransaction();
        p.send(new ProducerRecord<>(Topics.RESULTS, key, new byte[] {1}));
        p.flush();
        if (commit) {
            p.commitTransaction();
        } else {
            p.abortTransaction();
        }
    }

    private static KafkaProducer<String, byte[]> producer(String transactionalId) {
        return new KafkaProducer<>(KafkaSafety.transactionalProducer(
                Map.of("bootstrap.servers", kafka.bootstrapServers()), transactionalId, 60_000));
    }

    private static StoredPayment stored(String id, long decidedAtMs) {
        return new StoredPayment(
                id, "default", "k", "h", 100, "USD", PaymentStatus.SUCCEEDED, 0, 0, null, "ch_1", decidedAtMs);
    }
}
