package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TransactionalSession;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.StallingKafkaProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, item 2: the processor's {@code commitTransaction} times out after the broker committed
 * (a proxy holds the EndTxn response longer than the producer's {@code max.block.ms}). Each payment
 * must still have exactly one outcome on payments.results under read_committed: the unknown outcome
 * is resolved (by retrying the commit, or by re-initialising the producer and seeking to the group's
 * committed offsets), never by re-reading a batch that did commit.
 */
class CommitTimeoutIT {
    private static final long MAX_BLOCK_MS = 1_000;
    private static EmbeddedPg pg;
    private static StallingKafkaProxy proxy;
    private static EmbeddedKafka kafka;
    private static ApproveAllProcessor fixture;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        int brokerPort = FreePorts.pick();
        int proxyPort = FreePorts.pick();
        proxy = new StallingKafkaProxy(proxyPort, brokerPort);
        kafka = EmbeddedKafka.startBehindProxy(brokerPort, proxyPort);
        kafka.createTopics(Topics.ALL, 1);
        Map<String, String> s = new HashMap<>();
        // A commit times out after 1 s; a request only after 30 s, so the producer does not resend the
        // EndTxn on a new connection while the proxy holds its answer.
        s.put("kafka.max.block.ms", String.valueOf(MAX_BLOCK_MS));
        s.put("kafka.request.timeout.ms", "30000");
        s.put("kafka.delivery.timeout.ms", "31000");
        fixture = ApproveAllProcessor.start("commit-timeout-it", "127.0.0.1:" + proxyPort, pg.uri(), s);
        processor = fixture.processor();
        // The first transaction also loads the coordinator: let it happen before any hold.
        List<String> warm = produce("warm", 1);
        awaitOutcomes(warm);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
        kafka.close();
        proxy.close();
        pg.close();
    }

    @Test
    void aCommitThatTimesOutOnceIsRetriedAndEmitsEachOutcomeOnce() throws Exception {
        double unresolvedBefore = Series.counter(processor.metrics(), "processor.commits.unresolved");
        runWithHeldCommit("retry", MAX_BLOCK_MS * 3 / 2);
        assertThat(Series.counter(processor.metrics(), "processor.commits.unresolved"))
                .as("settled by retrying the commit, without re-initialising")
                .isEqualTo(unresolvedBefore);
    }

    @Test
    void aCommitThatStaysUnknownIsResolvedFromTheGroupsCommittedOffsets() throws Exception {
        double unresolvedBefore = Series.counter(processor.metrics(), "processor.commits.unresolved");
        // Longer than every commit attempt together: only re-initialising can settle it.
        runWithHeldCommit("reinit", MAX_BLOCK_MS * (TransactionalSession.COMMIT_CALLS_MAX + 5));
        assertThat(Series.counter(processor.metrics(), "processor.commits.unresolved"))
                .as("settled by re-initialising the producer")
                .isGreaterThan(unresolvedBefore);
    }

    private static void runWithHeldCommit(String prefix, long holdMs) throws Exception {
        double timeoutsBefore = Series.counter(processor.metrics(), "processor.commit.timeouts");
        int heldBefore = proxy.held();
        proxy.holdNextEndTxnResponses(1, holdMs);
        List<String> ids = new ArrayList<>(produce(prefix, 50));
        long deadline = System.currentTimeMillis() + 120_000;
        while (proxy.held() == heldBefore && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(proxy.held()).as("an EndTxn response was held").isEqualTo(heldBefore + 1);
        // The loop goes on after the resolution.
        ids.addAll(produce(prefix + "-after", 10));
        awaitOutcomes(ids);
        // Once the processor has consumed every billing record and no transaction is open, a duplicate
        // is on payments.results or cannot come: read it to its end then, instead of waiting and hoping.
        List<ConsumerRecord<String, byte[]>> results = Quiescence.readAfterConsumed(
                        kafka.bootstrapServers(),
                        "billing-processor",
                        Topics.BILLING,
                        List.of(Topics.RESULTS),
                        Duration.ofSeconds(120))
                .get(Topics.RESULTS);
        Map<String, Integer> outcomes = ApproveAllProcessor.outcomesById(results);
        for (String id : ids) {
            assertThat(outcomes.get(id)).as("outcomes of " + id).isEqualTo(1);
        }
        assertThat(Series.counter(processor.metrics(), "processor.commit.timeouts"))
                .as("the commit did time out")
                .isGreaterThan(timeoutsBefore);
    }

    private static List<String> produce(String prefix, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                KafkaSafety.idempotentProducer(Map.of("bootstrap.servers", kafka.bootstrapServers())))) {
            for (PaymentEvent e : ApproveAllProcessor.events(prefix, n)) {
                producer.send(new ProducerRecord<>(Topics.BILLING, e.paymentId(), e.toBytes()));
                ids.add(e.paymentId());
            }
            producer.flush();
        }
        return ids;
    }

    private static void awaitOutcomes(List<String> ids) throws InterruptedException {
        ApproveAllProcessor.awaitOutcomes(kafka.bootstrapServers(), ids);
    }
}
