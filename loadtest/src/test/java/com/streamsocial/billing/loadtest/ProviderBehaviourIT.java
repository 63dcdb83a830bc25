package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.contract.OutcomeEvent;
import com.streamsocial.billing.contract.PaymentIds;
import com.streamsocial.billing.contract.PaymentStatus;
import com.streamsocial.billing.contract.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Declines and a provider outage, through the real sandbox over HTTP. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProviderBehaviourIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static int processorPort;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        Map<String, String> o = new HashMap<>();
        // Short deadlines, so that an outage makes batches fail, abort and back off many times.
        o.put("processor.processTimeoutMs", "6000");
        o.put("processor.transactionTimeoutMs", "20000");
        o.put("provider.callTimeoutMs", "1000");
        o.put("provider.retryMaxMs", "500");
        o.put("processor.backoffMaxMs", "2000");
        processorPort = com.streamsocial.billing.stack.FreePorts.pick();
        o.put("processor.httpPort", String.valueOf(processorPort));
        processor = stack.startProcessor(o);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    @Test
    @Order(1)
    void declinesEndFailedWithTheirCodeAndAreNeverRetried() throws Exception {
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            expected.put("decline-" + i, "generic_decline");
            expected.put("nsf-" + i, "insufficient_funds");
            expected.put("ok-" + i, null);
        }
        long callsBefore = processor.metrics().value("provider_calls_total");
        for (String key : expected.keySet()) {
            String method = key.startsWith("decline")
                    ? "pm_card_chargeDeclined"
                    : key.startsWith("nsf") ? "pm_card_chargeDeclinedInsufficientFunds" : "pm_card_visa";
            assertThat(stack.pay(key, 2_500, method).statusCode()).isEqualTo(202);
        }
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status IN ('succeeded', 'failed')", 9, 60_000))
                .isEqualTo(9);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String id = PaymentIds.paymentId("default", e.getKey());
            JsonObject view = stack.get(stack.baseUrl() + "/v1/payments/" + id);
            if (e.getValue() == null) {
                assertThat(view.getString("status")).isEqualTo("succeeded");
            } else {
                assertThat(view.getString("status")).as(e.getKey()).isEqualTo("failed");
                assertThat(view.getString("failure_code")).isEqualTo(e.getValue());
            }
        }
        // One call per payment: a decline is an outcome, not a reason to retry.
        assertThat(processor.metrics().value("provider_calls_total") - callsBefore)
                .isEqualTo(9);
        assertThat(stack.pg.count("SELECT count(*) FROM payments WHERE attempts <> 1"))
                .isZero();
        assertThat(stack.sandboxStats().getLong("charges")).isEqualTo(3);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries")).isEqualTo(3);
        PipelineAssertions.awaitTopicCount(stack.infra.kafkaBootstrap(), Topics.RESULTS, 9, 60_000);
        List<ConsumerRecord<String, byte[]>> results =
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true);
        assertThat(results).hasSize(9);
        long failed = results.stream()
                .map(r -> OutcomeEvent.parse(r.value()))
                .filter(o -> o.status() == PaymentStatus.FAILED)
                .count();
        assertThat(failed).isEqualTo(6);
        assertThat(stack.reconcile(false, 0).total()).isZero();
    }

    @Test
    @Order(2)
    void anOutageUnderLoadFailsNothingChargesNothingTwiceAndCompletesAfterwards() throws Exception {
        long chargesBefore = stack.sandboxStats().getLong("charges");
        stack.sandbox.setFaults(SandboxFaults.OUTAGE);
        long outageStart = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        var load = LoadRunner.run(
                        stack.vertx, new LoadRunner.Options(stack.baseUrl(), 300, 0, 0, 16, "outage-", "pm_card_visa"))
                .toCompletionStage()
                .toCompletableFuture();
        boolean sawNotReady = false;
        while (System.currentTimeMillis() - outageStart < 20_000) {
            if (stack.status("http://127.0.0.1:" + processorPort + "/health/ready") == 503) {
                sawNotReady = true;
            }
            assertThat(
                            stack.pg.count(
                                    "SELECT count(*) FROM payments WHERE status = 'failed' AND idempotency_key LIKE 'outage-%'"))
                    .as("no payment is failed by an outage")
                    .isZero();
            Thread.sleep(500);
        }
        stack.sandbox.setFaults(SandboxFaults.NONE);
        LoadRunner.Report report = load.get(5, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(report.violations()).isEmpty();
        ids.addAll(report.ids());
        assertThat(sawNotReady).as("readiness says the provider is unavailable").isTrue();
        assertThat(processor.metrics().value("provider_unavailable_total")).isPositive();
        assertThat(processor.metrics().value("processor_batches_failed_total{stage=\"process\"}"))
                .isPositive();

        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status = 'succeeded' AND idempotency_key LIKE 'outage-%'",
                        300, 120_000))
                .isEqualTo(300);
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM payments WHERE status = 'failed' AND idempotency_key LIKE 'outage-%'"))
                .isZero();
        JsonObject stats = stack.sandboxStats();
        assertThat(stats.getLong("charges") - chargesBefore).isEqualTo(300);
        assertThat(stats.getLong("max_charges_per_key")).isEqualTo(1);
        long until = System.currentTimeMillis() + 30_000;
        while (stack.status("http://127.0.0.1:" + processorPort + "/health/ready") != 200
                && System.currentTimeMillis() < until) {
            Thread.sleep(200);
        }
        assertThat(stack.status("http://127.0.0.1:" + processorPort + "/health/ready"))
                .isEqualTo(200);
        PipelineAssertions.awaitTopicCount(stack.infra.kafkaBootstrap(), Topics.RESULTS, 309, 60_000);
        assertThat(stack.reconcile(false, 0).total()).isZero();
    }
}
