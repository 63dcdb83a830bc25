package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.TopicReader;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The exactly-once counts, shared by the tests that prove them. */
final class PipelineAssertions {
    private PipelineAssertions() {}

    /**
     * Exactly {@code ids.size()} ledger rows and charge entries, and exactly one read_committed event
     * per payment on payments.billing and on payments.results, each id once and no other.
     */
    static void assertExactlyOnce(Pg pg, String bootstrap, List<String> ids) throws InterruptedException {
        int n = ids.size();
        Set<String> expected = new HashSet<>(ids);
        assertThat(expected).hasSize(n);

        long decided =
                pg.awaitCount("SELECT count(*) FROM payments WHERE status IN ('succeeded','failed')", n, 180_000);
        assertThat(decided).as("decided payments in the ledger").isEqualTo(n);
        // Wait for the outcomes to be committed to Kafka too, then let anything extra show up.
        awaitTopicCount(bootstrap, Topics.RESULTS, n, 120_000);
        Thread.sleep(2_000);

        assertThat(pg.count("SELECT count(*) FROM payments")).as("ledger rows").isEqualTo(n);
        assertThat(pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge'"))
                .as("charge entries")
                .isEqualTo(n);
        assertThat(pg.count("SELECT count(DISTINCT payment_id) FROM ledger_entries"))
                .isEqualTo(n);
        assertThat(pg.count("SELECT count(*) FROM payment_intents WHERE state = 'accepted'"))
                .as("accepted intents")
                .isEqualTo(n);

        List<ConsumerRecord<String, byte[]>> billing = TopicReader.readAll(bootstrap, Topics.BILLING, true);
        assertThat(billing).as("billing events").hasSize(n);
        Set<String> billingIds = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : billing) {
            billingIds.add(PaymentEvent.parse(r.value()).paymentId());
        }
        assertThat(billingIds).as("billing payment ids").isEqualTo(expected);

        List<ConsumerRecord<String, byte[]>> results = TopicReader.readAll(bootstrap, Topics.RESULTS, true);
        assertThat(results).as("result events").hasSize(n);
        Set<String> resultIds = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : results) {
            OutcomeEvent o = OutcomeEvent.parse(r.value());
            assertThat(o.status()).isEqualTo(PaymentStatus.SUCCEEDED);
            resultIds.add(o.paymentId());
        }
        assertThat(resultIds).as("result payment ids").isEqualTo(expected);

        // One accepted and one decided metrics event per payment, also under read_committed.
        assertThat(TopicReader.readAll(bootstrap, Topics.METRICS, true)).hasSize(2 * n);
        assertThat(TopicReader.readAll(bootstrap, Topics.DLQ, true)).isEmpty();
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
