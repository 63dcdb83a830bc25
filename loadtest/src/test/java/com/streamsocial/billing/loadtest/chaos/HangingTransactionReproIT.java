package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.stack.EmbeddedKafka;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The standalone reproduction's verdict ({@link HangingTransactionRepro#awaitStable}) on a real
 * broker. Its result so far is "no hanging transaction in 48 broker kills"; that says something only
 * if the same look reports a partition that stays held. Here a transaction of the reproduction's shape
 * (a record on each output partition and the group's offsets) is held open past the look's bound, by a
 * producer with a transaction timeout longer than the bound, which is what a hanging transaction looks
 * like from outside: the look must name every held partition, the open producer and the coordinator's
 * view. Once the transaction commits, the same look must come back empty within its bound. The chaos
 * run's diagnosis of a slow settle ({@link OpenTransactions#describe}) is checked on the same states.
 */
class HangingTransactionReproIT {
    /** Longer than the look's bound below, so that the coordinator does not abort it meanwhile. */
    private static final int TRANSACTION_TIMEOUT_MS = 120_000;
    /** The look's bound while the transaction is open: it must report, not wait for the timeout. */
    private static final long HELD_LOOK_MS = 3_000;
    /** The look's bound once committed: the markers follow the commit's answer (the repro's own bound). */
    private static final long STABLE_LOOK_MS = 2L * HangingTransactionRepro.TRANSACTION_TIMEOUT_MS + 5_000;

    @Test
    void theReproductionsLookReportsATransactionLeftOpenAndNothingOnceItEnds() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
            kafka.createTopics(List.of(HangingTransactionRepro.OUT_TOPIC), HangingTransactionRepro.OUT_PARTITIONS);
            kafka.createTopics(List.of(HangingTransactionRepro.IN_TOPIC), 1);
            String bootstrap = kafka.bootstrapServers();
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaSafety.transactionalProducer(
                    Map.of("bootstrap.servers", bootstrap),
                    HangingTransactionRepro.TRANSACTIONAL_ID,
                    TRANSACTION_TIMEOUT_MS))) {
                p.initTransactions();
                p.beginTransaction();
                for (int partition = 0; partition < HangingTransactionRepro.OUT_PARTITIONS; partition++) {
                    p.send(new ProducerRecord<>(HangingTransactionRepro.OUT_TOPIC, partition, null, new byte[] {1}))
                            .get();
                }
                p.sendOffsetsToTransaction(
                        Map.of(new TopicPartition(HangingTransactionRepro.IN_TOPIC, 0), new OffsetAndMetadata(1)),
                        new ConsumerGroupMetadata("repro-group"));

                String held = HangingTransactionRepro.awaitStable(bootstrap, HELD_LOOK_MS);
                System.out.println("the look with a transaction left open:\n" + held);
                for (int partition = 0; partition < HangingTransactionRepro.OUT_PARTITIONS; partition++) {
                    assertThat(held)
                            .contains(HangingTransactionRepro.OUT_TOPIC + "-" + partition
                                    + ": last stable offset 0, high watermark 1");
                }
                // Its own line, not the coordinator's partition list, which names it too.
                assertThat(held)
                        .as("the group's offsets, held too")
                        .containsPattern("(?m)^  __consumer_offsets-\\d+: last stable offset 0, high watermark 1$");
                assertThat(held).contains("open: producer ").contains("from offset 0");
                assertThat(held)
                        .as("the coordinator's view of the open producer")
                        .contains("coordinator: " + HangingTransactionRepro.TRANSACTIONAL_ID + " Ongoing");

                // The chaos run's diagnosis of a slow settle says the same of it.
                List<String> diagnosis =
                        OpenTransactions.describe(bootstrap, List.of(HangingTransactionRepro.OUT_TOPIC));
                System.out.println("chaos's diagnosis:\n" + String.join("\n", diagnosis));
                assertThat(diagnosis)
                        .contains(
                                "  " + HangingTransactionRepro.OUT_TOPIC + "-0: last stable offset 0, high watermark 1")
                        .anyMatch(l -> l.startsWith("  " + HangingTransactionRepro.OUT_TOPIC + "-2: producer ")
                                && l.contains("has a transaction open from offset 0"))
                        .anyMatch(l -> l.startsWith(
                                "  transaction " + HangingTransactionRepro.TRANSACTIONAL_ID + ": Ongoing"));

                p.commitTransaction();
                assertThat(HangingTransactionRepro.awaitStable(bootstrap, STABLE_LOOK_MS))
                        .as("nothing held once it committed")
                        .isEmpty();
                assertThat(OpenTransactions.describe(bootstrap, List.of(HangingTransactionRepro.OUT_TOPIC)))
                        .containsExactly(
                                "  no partition is held back: every last stable offset equals its high watermark",
                                "  the coordinator has no transaction in progress");
            }
        }
    }
}
