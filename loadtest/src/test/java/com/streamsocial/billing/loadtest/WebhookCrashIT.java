package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A webhook's application survives a crash in its window (issue 21 §2): the processor, in its own JVM,
 * holds the batch that applied a {@code payment_intent.succeeded} on the fault hook, after its
 * PostgreSQL commit and before its Kafka commit, and is killed with SIGKILL there. The payment is
 * decided in PostgreSQL, its outcome not committed; the restarted processor reads the record again,
 * applies nothing twice (one charge entry, one application) and emits the one outcome.
 */
class WebhookCrashIT {
    private static final String SECRET = "whsec_webhook_crash_it";
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.startWithWebhooks(SandboxFaults.NONE, SECRET);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    private Map<String, String> props() {
        return new HashMap<>(stack.processorSettings(Map.of(
                "processor.instanceId", "webhook-crash", "processor.httpPort", String.valueOf(FreePorts.pick()))));
    }

    private static List<ConsumerRecord<String, byte[]>> outcomesOf(String id) {
        return TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true).stream()
                .filter(r -> id.equals(r.key()))
                .toList();
    }

    @Test
    void killedBetweenItsPostgresAndKafkaCommitsTheWebhookIsAppliedOnceWithOneOutcome() throws Exception {
        Map<String, String> stalling = props();
        // Batch 1 is the payment's billing record; batch 2 the webhook's.
        stalling.put("processor.faults.stallOnBatch", "2");
        stalling.put("processor.faults.stallMs", "120000");
        JvmProcess first = ProcessorProcess.start(stalling);
        String key = "wh-crash-" + RUN;
        String id = PaymentIds.paymentId("default", key);
        try {
            assertThat(first.awaitLine("processor webhook-crash ready", 60_000)).isTrue();
            assertThat(stack.pay(key, 1_500, SandboxProvider.PM_PROCESSING).statusCode())
                    .isEqualTo(202);
            assertThat(stack.pg.awaitCount(
                            "SELECT count(*) FROM payments WHERE status = 'charging' AND provider_intent IS NOT NULL"
                                    + " AND payment_id = '" + id + "'",
                            1,
                            60_000))
                    .isEqualTo(1);
            String intent = stack.pg.text("SELECT provider_intent FROM payments WHERE payment_id = '" + id + "'");
            JsonObject answer = stack.stripeWebhook(new JsonObject()
                    .put("type", "payment_intent.succeeded")
                    .put("payment_intent", intent)
                    .put("payment_id", id));
            assertThat(answer.getJsonArray("statuses").getList()).containsOnly(200);
            assertThat(first.awaitLine("FAULT: stalling batch 2", 60_000)).isTrue();
            first.kill();
            assertThat(first.exitCode()).isEqualTo(137);
        } finally {
            first.kill();
        }
        // Decided in PostgreSQL, its outcome in the killed transaction: not committed.
        assertThat(stack.pg.text("SELECT status FROM payments WHERE payment_id = '" + id + "'"))
                .isEqualTo("succeeded");
        assertThat(outcomesOf(id)).isEmpty();

        JvmProcess second = ProcessorProcess.start(props());
        try {
            assertThat(second.awaitLine("processor webhook-crash ready", 60_000))
                    .isTrue();
            Map<String, List<ConsumerRecord<String, byte[]>>> read = Quiescence.readAfterConsumed(
                    stack.infra.kafkaBootstrap(),
                    "billing-processor",
                    Topics.WEBHOOKS,
                    List.of(Topics.RESULTS),
                    Duration.ofMinutes(2));
            List<ConsumerRecord<String, byte[]>> outcomes = read.get(Topics.RESULTS).stream()
                    .filter(r -> id.equals(r.key()))
                    .toList();
            assertThat(outcomes).as("one outcome after the restart").hasSize(1);
            assertThat(new JsonObject(new String(outcomes.get(0).value(), StandardCharsets.UTF_8)).getString("status"))
                    .isEqualTo("succeeded");
            assertThat(stack.pg.count(
                            "SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = '" + id + "'"))
                    .isEqualTo(1);
            assertThat(stack.pg.count("SELECT count(*) FROM webhook_applications WHERE payment_id = '" + id
                            + "' AND outcome = 'applied'"))
                    .isEqualTo(1);
        } finally {
            second.kill();
        }
    }
}
