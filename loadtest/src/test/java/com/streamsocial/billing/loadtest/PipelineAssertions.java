package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The exactly-once counts, shared by the tests that prove them. */
final class PipelineAssertions {
    /** The processor's consumer group in every stack these tests start (ProcessorConfig's default). */
    static final String PROCESSOR_GROUP = "billing-processor";
    /** How long the topics may take to fall quiet once the ledger is decided. */
    static final Duration QUIESCENCE_BOUND = Duration.ofSeconds(120);

    private PipelineAssertions() {}

    /**
     * Exactly {@code ids.size()} ledger rows and charge entries, exactly one read_committed event per
     * payment on payments.billing and on payments.results, each id once and no other, and one accepted
     * and one decided metrics event per payment.
     */
    static void assertExactlyOnce(Pg pg, String bootstrap, List<String> ids) throws InterruptedException {
        int n = ids.size();
        Set<String> expected = new HashSet<>(ids);
        assertThat(expected).hasSize(n);

        long decided =
                pg.awaitCount("SELECT count(*) FROM payments WHERE status IN ('succeeded','failed')", n, 180_000);
        assertThat(decided).as("decided payments in the ledger").isEqualTo(n);
        // Wait for the outcomes to be committed to Kafka too; then, once the processor has consumed every
        // billing record and no transaction is open, read each topic to its end: a late duplicate is
        // there by then, or cannot come.
        awaitTopicCount(bootstrap, Topics.RESULTS, n, 120_000);
        Map<String, List<ConsumerRecord<String, byte[]>>> read = Quiescence.readAfterConsumed(
                bootstrap,
                PROCESSOR_GROUP,
                Topics.BILLING,
                List.of(Topics.BILLING, Topics.RESULTS, Topics.METRICS, Topics.DLQ),
                QUIESCENCE_BOUND);

        assertThat(pg.count("SELECT count(*) FROM payments")).as("ledger rows").isEqualTo(n);
        assertThat(pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge'"))
                .as("charge entries")
                .isEqualTo(n);
        assertThat(pg.count("SELECT count(DISTINCT payment_id) FROM ledger_entries"))
                .isEqualTo(n);
        assertThat(pg.count("SELECT count(*) FROM payment_intent_states WHERE state = 'accepted'"))
                .as("accepted intents")
                .isEqualTo(n);

        List<ConsumerRecord<String, byte[]>> billing = read.get(Topics.BILLING);
        assertThat(billing).as("billing events").hasSize(n);
        Set<String> billingIds = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : billing) {
            billingIds.add(PaymentEvent.parse(r.value()).paymentId());
        }
        assertThat(billingIds).as("billing payment ids").isEqualTo(expected);

        List<ConsumerRecord<String, byte[]>> results = read.get(Topics.RESULTS);
        assertThat(results).as("result events").hasSize(n);
        Set<String> resultIds = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : results) {
            OutcomeEvent o = OutcomeEvent.parse(r.value());
            assertThat(o.status()).isEqualTo(PaymentStatus.SUCCEEDED);
            resultIds.add(o.paymentId());
        }
        assertThat(resultIds).as("result payment ids").isEqualTo(expected);

        assertOneAcceptedAndOneDecidedMetricsEventEach(read.get(Topics.METRICS), expected);
        assertThat(read.get(Topics.DLQ)).isEmpty();
    }

    /**
     * For each payment, exactly two metrics events under read_committed: one {@code payment.accepted}
     * and one {@code payment.succeeded}; and none for any other payment. The events come in one record
     * a batch ({@link MetricsBatch}): each record is keyed by its first payment id, and its totals
     * count exactly the ids it lists.
     */
    static void assertOneAcceptedAndOneDecidedMetricsEventEach(
            List<ConsumerRecord<String, byte[]>> metrics, Set<String> ids) {
        Map<String, List<String>> typesById = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : metrics) {
            MetricsBatch m = MetricsBatch.parse(r.value());
            assertThat(m.key()).as("metrics record key").isEqualTo(r.key());
            m.paymentIds().forEach((type, list) -> {
                assertThat(m.totals().stream()
                                .filter(t -> t.type().equals(type))
                                .mapToLong(MetricsBatch.Total::count)
                                .sum())
                        .as("the totals of %s in a metrics record", type)
                        .isEqualTo(list.size());
                list.forEach(id ->
                        typesById.computeIfAbsent(id, k -> new ArrayList<>()).add(type));
            });
        }
        assertThat(typesById.keySet()).as("payments with metrics events").isEqualTo(new TreeSet<>(ids));
        typesById.forEach((id, types) -> assertThat(types)
                .as("metrics events of %s", id)
                .containsExactlyInAnyOrder(MetricsBatch.ACCEPTED, MetricsBatch.SUCCEEDED));
    }

    /** Waits until {@code topic} holds at least {@code n} committed records; returns how many it holds. */
    static int awaitTopicCount(String bootstrap, String topic, int n, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        int count = TopicReader.readAll(bootstrap, topic, true).size();
        while (count < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            count = TopicReader.readAll(bootstrap, topic, true).size();
        }
        return count;
    }
}
