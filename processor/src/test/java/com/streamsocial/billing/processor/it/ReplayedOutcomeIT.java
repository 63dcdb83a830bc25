package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.Series;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A billing record read again after its batch's transaction committed emits no second outcome and no
 * second decided event. The chaos run in CI on 2026-12-07 saw a committed batch read again around a
 * broker restart; here the same records are read again as reconciliation re-drives them (header
 * {@code redrive}), which the planner answers exactly as a replay: by re-emitting the stored outcome,
 * unless payments.results already holds it committed.
 */
class ReplayedOutcomeIT {
    private static final int PAYMENTS = 20;
    private static EmbeddedPg pg;
    private static EmbeddedKafka kafka;
    private static ApproveAllProcessor fixture;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        kafka = EmbeddedKafka.start(FreePorts.pick());
        kafka.createTopics(Topics.ALL, 3);
        fixture = ApproveAllProcessor.start("replayed-outcome-it", kafka.bootstrapServers(), pg.uri(), Map.of());
        processor = fixture.processor();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
        kafka.close();
        pg.close();
    }

    @Test
    void aRecordReadAgainAfterItsOutcomeCommittedEmitsNothingTwice() throws Exception {
        List<PaymentEvent> events = events("first", PAYMENTS);
        produce(events, false);
        awaitOutcomes(ids(events));
        double before = Series.counter(processor.metrics(), "processor.outcomes.already.committed");

        produce(events, true);
        // Payments after the re-read ones: once they have outcomes, the re-read records were processed.
        List<PaymentEvent> after = events("after", 5);
        produce(after, false);
        awaitOutcomes(ids(after));

        Counts counts = countOnceConsumed(MetricsBatch.SUCCEEDED, MetricsBatch.FAILED);
        Map<String, Integer> outcomes = counts.outcomes();
        Map<String, Integer> decided = counts.decided();
        for (String id : ids(events)) {
            assertThat(outcomes.get(id)).as("outcomes of " + id).isEqualTo(1);
            assertThat(decided.get(id)).as("decided events of " + id).isEqualTo(1);
        }
        assertThat(Series.counter(processor.metrics(), "processor.outcomes.already.committed") - before)
                .as("every re-read record was looked up and found committed")
                .isEqualTo(PAYMENTS);
    }

    /**
     * The watchdog's repair: a payment decided in the ledger whose outcome an abort took away (made
     * here by writing the decided row directly, no outcome ever emitted) is re-driven from the ledger,
     * twice, as two processors' watchdogs could: it gets exactly one outcome and one decided event.
     */
    @Test
    void aDecidedPaymentWhoseOutcomeWasLostIsEmittedOnceWhenReDrivenTwice() throws Exception {
        io.vertx.sqlclient.Pool pool = io.vertx.pgclient.PgBuilder.pool()
                .connectingTo(pg.uri())
                .using(fixture.vertx())
                .build();
        List<String> lost = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                String key = "lost-" + i;
                String id = PaymentIds.paymentId("default", key);
                lost.add(id);
                pool.preparedQuery("""
                                INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                                    customer_id, payment_method, status, provider_ref, source_partition, source_offset,
                                    accepted_at, decided_at)
                                VALUES ('default', $1, $2, 'h', 100, 'USD', 'cus_1', 'pm_card_visa', 'succeeded', 'aa_1',
                                    0, $3, now(), now())""")
                        .execute(io.vertx.sqlclient.Tuple.of(key, id, 1_000_000L + i))
                        .await(30, TimeUnit.SECONDS);
            }
            com.streamsocial.billing.processor.store.LedgerStore ledger =
                    new com.streamsocial.billing.processor.store.LedgerStore(pool);
            try (com.streamsocial.billing.processor.kafka.BillingRedrive redrive =
                    new com.streamsocial.billing.processor.kafka.BillingRedrive(
                            Map.of("bootstrap.servers", kafka.bootstrapServers()), "test")) {
                for (int round = 0; round < 2; round++) {
                    List<PaymentEvent> events =
                            ledger.decidedEvents(new java.util.HashSet<>(lost)).await(30, TimeUnit.SECONDS);
                    assertThat(events).hasSize(lost.size());
                    redrive.send(events).await(30, TimeUnit.SECONDS);
                }
            }
        } finally {
            pool.close().await(10, TimeUnit.SECONDS);
        }
        List<PaymentEvent> after = events("after-lost", 5);
        produce(after, false);
        awaitOutcomes(ids(after));
        Counts counts = countOnceConsumed(MetricsBatch.SUCCEEDED);
        Map<String, Integer> outcomes = counts.outcomes();
        Map<String, Integer> decided = counts.decided();
        for (String id : lost) {
            assertThat(outcomes.get(id)).as("outcomes of re-driven " + id).isEqualTo(1);
            assertThat(decided.get(id)).as("decided events of re-driven " + id).isEqualTo(1);
        }
    }

    private static List<PaymentEvent> events(String prefix, int n) {
        return ApproveAllProcessor.events(prefix, n);
    }

    private static List<String> ids(List<PaymentEvent> events) {
        return events.stream().map(PaymentEvent::paymentId).toList();
    }

    private static void produce(List<PaymentEvent> events, boolean redrive) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                KafkaSafety.idempotentProducer(Map.of("bootstrap.servers", kafka.bootstrapServers())))) {
            for (PaymentEvent e : events) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.BILLING, e.paymentId(), e.toBytes());
                if (redrive) {
                    r.headers().add(InputRecord.REDRIVE_HEADER, "test".getBytes(StandardCharsets.UTF_8));
                }
                producer.send(r);
            }
            producer.flush();
        }
    }

    private static void awaitOutcomes(List<String> ids) throws InterruptedException {
        ApproveAllProcessor.awaitOutcomes(kafka.bootstrapServers(), ids);
    }

    /** Outcomes and decided events per payment id; {@code decided} counts the metrics ids of {@code types}. */
    private record Counts(Map<String, Integer> outcomes, Map<String, Integer> decided) {}

    /**
     * Once the processor has consumed every billing record and no transaction is open: the outcomes on
     * payments.results and the decided events (of {@code types}) on payments.metrics, per payment id.
     */
    private static Counts countOnceConsumed(String... types) {
        Map<String, List<ConsumerRecord<String, byte[]>>> logs = Quiescence.readAfterConsumed(
                kafka.bootstrapServers(),
                "billing-processor",
                Topics.BILLING,
                List.of(Topics.RESULTS, Topics.METRICS),
                Duration.ofSeconds(120));
        Map<String, Integer> decided = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : logs.get(Topics.METRICS)) {
            MetricsBatch m = MetricsBatch.parse(r.value());
            for (String type : types) {
                m.ids(type).forEach(id -> decided.merge(id, 1, Integer::sum));
            }
        }
        return new Counts(ApproveAllProcessor.outcomesById(logs.get(Topics.RESULTS)), decided);
    }
}
