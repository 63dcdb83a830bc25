package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.ProviderLimits;
import com.streamsocial.billing.processor.psp.ProviderUnavailableException;
import com.streamsocial.billing.processor.psp.StripeProvider;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Declines, a provider outage, answers that are not final, answers for another amount or currency,
 * an idempotency error and a wrong base URL, through the real sandbox over HTTP.
 *
 * <p>The tests share one stack and run in the order given by {@link Order}, on purpose: tests 1 and 2
 * end with a reconciliation of the whole last hour that must find no break, and test 3 leaves three
 * payments undecided ({@code charging}) for good, which later reconciliations see. Every other count
 * is the test's own (its payments' keys, or a difference from before it), so no test depends on
 * another's numbers. Outcomes are read to the end of payments.results once the processor has consumed
 * every billing record and no transaction is open: a late duplicate would be there.
 */
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
        double callsBefore = Series.counter(processor.metrics(), "provider.calls");
        long chargesBefore = stack.sandboxStats().getLong("charges");
        for (String key : expected.keySet()) {
            String method = key.startsWith("decline")
                    ? "pm_card_chargeDeclined"
                    : key.startsWith("nsf") ? "pm_card_chargeDeclinedInsufficientFunds" : "pm_card_visa";
            assertThat(stack.pay(key, 2_500, method).statusCode()).isEqualTo(202);
        }
        String mine = keyIn(expected.keySet());
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status IN ('succeeded', 'failed') AND " + mine, 9, 60_000))
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
        assertThat(Series.counter(processor.metrics(), "provider.calls") - callsBefore)
                .isEqualTo(9);
        assertThat(stack.pg.count("SELECT count(*) FROM payments WHERE attempts <> 1 AND " + mine))
                .isZero();
        assertThat(stack.sandboxStats().getLong("charges") - chargesBefore).isEqualTo(3);
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries e JOIN payments p USING (payment_id) WHERE p." + mine))
                .isEqualTo(3);
        Map<String, List<OutcomeEvent>> outcomes = outcomesById();
        List<String> ids = expected.keySet().stream()
                .map(k -> PaymentIds.paymentId("default", k))
                .toList();
        assertOneOutcomeEach(outcomes, ids);
        long failed = ids.stream()
                .map(id -> outcomes.get(id).get(0))
                .filter(o -> o.status() == PaymentStatus.FAILED)
                .count();
        assertThat(failed).isEqualTo(6);
        assertThat(stack.reconcile(false, 0).total()).isZero();
    }

    @Test
    @Order(2)
    void anOutageUnderLoadFailsNothingChargesNothingTwiceAndCompletesAfterwards() throws Exception {
        double chargesBefore = stack.sandboxStats().getLong("charges");
        stack.sandbox.setFaults(SandboxFaults.OUTAGE);
        long outageStart = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        var load = LoadRunner.run(
                        stack.vertx,
                        new LoadRunner.Options(stack.baseUrl(), 300, 0, 0, 16, "outage-", "pm_card_visa", stack.apiKey))
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
        assertThat(Series.counter(processor.metrics(), "provider.unavailable")).isPositive();
        assertThat(Series.counter(processor.metrics(), "processor.batches.failed", "stage", "process"))
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
        // Exactly one outcome per payment of this test.
        assertThat(ids).hasSize(300);
        assertOneOutcomeEach(outcomesById(), ids);
        assertThat(stack.reconcile(false, 0).total()).isZero();
    }

    private static void assertOneChargeAndOneLedgerEntry(String key) {
        assertThat(stack.pg.count("SELECT count(*) FROM payments p JOIN sandbox.charges c ON c.id = p.provider_ref"
                        + " WHERE p.idempotency_key = '" + key + "' AND c.payment_id = p.payment_id"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries e JOIN payments p USING (payment_id)"
                        + " WHERE p.idempotency_key = '" + key + "'"))
                .isEqualTo(1);
    }

    /** {@code idempotency_key IN (...)}: the rows of one test's payments. */
    private static String keyIn(java.util.Collection<String> keys) {
        return "idempotency_key IN (" + keys.stream().map(k -> "'" + k + "'").collect(Collectors.joining(", ")) + ")";
    }

    /**
     * Outcomes on payments.results by payment id, read to the end once the processor has consumed
     * every billing record and no transaction is open.
     */
    private static Map<String, List<OutcomeEvent>> outcomesById() {
        return Quiescence.readAfterConsumed(
                        stack.infra.kafkaBootstrap(),
                        PipelineAssertions.PROCESSOR_GROUP,
                        Topics.BILLING,
                        List.of(Topics.RESULTS),
                        PipelineAssertions.QUIESCENCE_BOUND)
                .get(Topics.RESULTS)
                .stream()
                .map(r -> OutcomeEvent.parse(r.value()))
                .collect(Collectors.groupingBy(OutcomeEvent::paymentId));
    }

    private static void assertOneOutcomeEach(Map<String, List<OutcomeEvent>> outcomes, List<String> ids) {
        for (String id : ids) {
            assertThat(outcomes.getOrDefault(id, List.of()))
                    .as("outcomes of %s", id)
                    .hasSize(1);
        }
    }

    /** How many outcomes each key's payment has. */
    private static Map<String, Integer> outcomeCounts(
            Map<String, List<OutcomeEvent>> outcomes, java.util.Collection<String> keys) {
        Map<String, Integer> out = new HashMap<>();
        for (String k : keys) {
            out.put(
                    k,
                    outcomes.getOrDefault(PaymentIds.paymentId("default", k), List.of())
                            .size());
        }
        return out;
    }

    /** Waits until {@code id} has an outcome on payments.results (read_committed), at most 60 s. */
    private static void awaitOutcome(String id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!outcomeIds().contains(id) && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
        }
    }

    private static List<String> outcomeIds() {
        return TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true).stream()
                .map(r -> OutcomeEvent.parse(r.value()).paymentId())
                .toList();
    }

    private static String statusOf(String key) {
        return stack.pg.text("SELECT status || ' ' || coalesce(provider_status, '') FROM payments WHERE payment_id = '"
                + PaymentIds.paymentId("default", key) + "'");
    }

    @Test
    @Order(3)
    void undecidedAnswersStayChargingWithoutAnOutcomeAndAreAskedAboutWhenReDriven() throws Exception {
        Map<String, String> methods = new java.util.LinkedHashMap<>();
        methods.put("action-0", "pm_card_authenticationRequired");
        methods.put("processing-0", SandboxProvider.PM_PROCESSING);
        methods.put("amount-0", SandboxProvider.PM_AMOUNT_MISMATCH);
        methods.put("currency-0", SandboxProvider.PM_CURRENCY_MISMATCH);
        methods.put("after-0", "pm_card_visa");
        String mine = keyIn(methods.keySet());
        double pendingBefore = Series.counter(processor.metrics(), "provider.pending");
        double mismatchBefore = Series.counter(processor.metrics(), "provider.mismatch");
        for (Map.Entry<String, String> e : methods.entrySet()) {
            assertThat(stack.pay(e.getKey(), 2_500, e.getValue()).statusCode()).isEqualTo(202);
        }
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE provider_status IS NOT NULL AND status = 'charging'"
                                + " AND provider_intent LIKE 'pi_%' AND " + mine,
                        4,
                        60_000))
                .isEqualTo(4);
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE idempotency_key = 'after-0' AND status = 'succeeded'",
                        1,
                        60_000))
                .isEqualTo(1);
        assertThat(statusOf("action-0")).isEqualTo("charging requires_action");
        assertThat(statusOf("processing-0")).isEqualTo("charging processing");
        assertThat(statusOf("amount-0")).startsWith("charging mismatch: provider succeeded 2501 usd");
        assertThat(statusOf("currency-0")).startsWith("charging mismatch: provider succeeded 2500 eur");
        assertThat(Series.counter(processor.metrics(), "provider.pending") - pendingBefore)
                .isGreaterThanOrEqualTo(2);
        assertThat(Series.counter(processor.metrics(), "provider.mismatch") - mismatchBefore)
                .isGreaterThanOrEqualTo(2);
        // Only the decided payment has an outcome; nothing was recorded as failed.
        assertThat(outcomeCounts(outcomesById(), methods.keySet()))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("action-0", 0, "processing-0", 0, "amount-0", 0, "currency-0", 0, "after-0", 1));
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries e JOIN payments p USING (payment_id)"
                        + " WHERE p.status = 'charging' AND p." + mine))
                .isZero();

        // An hour later (the clock is faked in the table), reconciliation finds the four stuck and re-drives them.
        stack.pg.count("WITH u AS (UPDATE payments SET last_attempt_at = now() - interval '1 hour'"
                + " WHERE status = 'charging' AND " + mine + " RETURNING 1) SELECT count(*) FROM u");
        var rec = stack.reconcile(true, 0);
        assertThat(rec.count(BreakClass.STUCK)).isEqualTo(4);
        // The re-drive asks about the intent (a POST would replay "processing" for 24 h): it settled.
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE idempotency_key = 'processing-0' AND status = 'succeeded'",
                        1,
                        60_000))
                .isEqualTo(1);
        String processingId = PaymentIds.paymentId("default", "processing-0");
        awaitOutcome(processingId);
        assertOneChargeAndOneLedgerEntry("processing-0");
        // The other three are asked again and are still not decided: charging, no outcome, no ledger money.
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status = 'charging' AND attempts = 2 AND " + mine,
                        3,
                        60_000))
                .isEqualTo(3);
        assertThat(statusOf("action-0")).isEqualTo("charging requires_action");
        assertThat(statusOf("amount-0")).startsWith("charging mismatch:");
        assertThat(statusOf("currency-0")).startsWith("charging mismatch:");
        assertThat(outcomeCounts(outcomesById(), methods.keySet()))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("action-0", 0, "processing-0", 1, "amount-0", 0, "currency-0", 0, "after-0", 1));
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries e JOIN payments p USING (payment_id)"
                        + " WHERE p.status = 'charging' AND p." + mine))
                .isZero();
    }

    @Test
    @Order(4)
    void anIdempotencyErrorIsRetriedWithReadinessDownAndNoOutcomeUntilItClears() throws Exception {
        String id = PaymentIds.paymentId("default", "idem-0");
        // Another request already used the payment's key at the provider, with other parameters.
        assertThat(stack.stripe(
                                "/v1/payment_intents",
                                id,
                                "amount=1&currency=usd&payment_method=pm_card_visa&confirm=true"
                                        + "&automatic_payment_methods%5Benabled%5D=true"
                                        + "&automatic_payment_methods%5Ballow_redirects%5D=never")
                        .statusCode())
                .isEqualTo(200);
        assertThat(stack.pay("idem-0", 2_500, "pm_card_visa").statusCode()).isEqualTo(202);
        String ready = "http://127.0.0.1:" + processorPort + "/health/ready";
        long until = System.currentTimeMillis() + 60_000;
        JsonObject health = stack.get(ready);
        while (!String.valueOf(health.getValue("last_failure")).contains("idempotency_error")
                && System.currentTimeMillis() < until) {
            Thread.sleep(200);
            health = stack.get(ready);
        }
        assertThat(health.getBoolean("ready")).isFalse();
        assertThat(health.getString("last_failure"))
                .contains("configuration error")
                .contains("idempotency_error");
        assertThat(stack.status(ready)).isEqualTo(503);
        // A new payment's row is written only with an answer: while the processor retries, none.
        assertThat(stack.pg.count("SELECT count(*) FROM payments WHERE payment_id = '" + id + "'"))
                .isZero();
        // While the processor retries, no outcome of it so far (a point in time: the batch is not done).
        assertThat(outcomeIds()).doesNotContain(id);
        assertThat(Series.counter(processor.metrics(), "provider.retried", "status", "400", "kind", "configuration"))
                .isPositive();

        // The key expires at the provider (24 h in Stripe): the next retry charges, once.
        stack.pg.count("WITH d AS (DELETE FROM sandbox.idempotency WHERE key = '" + id + "' RETURNING 1)"
                + " SELECT count(*) FROM d");
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE idempotency_key = 'idem-0' AND status = 'succeeded'",
                        1,
                        90_000))
                .isEqualTo(1);
        awaitOutcome(id);
        assertOneOutcomeEach(outcomesById(), List.of(id));
    }

    @Test
    @Order(5)
    void aWrongBaseUrlIsAConfigurationErrorNeverAFailure() throws Exception {
        // A common mistake: the API path in the base URL, so every call goes to /v1/v1/... and gets 404.
        ServiceMetrics metrics = new ServiceMetrics();
        StripeProvider wrong = new StripeProvider(
                stack.vertx,
                new StripeProvider.Options(
                        stack.sandboxUrl() + "/v1",
                        ProviderStack.SECRET,
                        new ProviderLimits(4, 4, 10_000),
                        1_000,
                        20,
                        100,
                        1_500),
                new ProcessorMeters(metrics));
        var charged = wrong.charge(List.of(new PaymentProvider.Charge(
                        "pay_wrong_url", 100, "USD", "cus_1", "pm_card_visa", "default", null)))
                .toCompletionStage()
                .toCompletableFuture();
        assertThatThrownBy(() -> charged.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(ProviderUnavailableException.class)
                .hasMessageContaining("configuration error")
                .hasMessageContaining("HTTP 404");
        assertThat(Series.counter(metrics, "provider.retried", "status", "404", "kind", "configuration"))
                .isGreaterThan(1);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE payment_id = 'pay_wrong_url'"))
                .isZero();
        // The same adapter at the right address charges it.
        StripeProvider right = new StripeProvider(
                stack.vertx,
                new StripeProvider.Options(
                        stack.sandboxUrl(),
                        ProviderStack.SECRET,
                        new ProviderLimits(4, 4, 10_000),
                        1_000,
                        20,
                        100,
                        1_500),
                new ProcessorMeters(metrics));
        var ok = ProviderStack.await(right.charge(List.of(
                new PaymentProvider.Charge("pay_wrong_url", 100, "USD", "cus_1", "pm_card_visa", "default", null))));
        assertThat(ok.get(0).succeeded()).isTrue();
    }
}
