package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.ProviderUnavailableException;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ProviderAccount;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * PayPal's Orders API through the real sandbox over HTTP, on real Kafka and PostgreSQL: the
 * sandbox's wire behaviour first, then the processor with {@code provider.kind=paypal}: successes in
 * currencies PayPal takes with 2 and 0 decimals, amounts PayPal cannot take declined without a call,
 * declines with their issue codes, lost answers at each step, injected 5xx, token expiry, a batch
 * that fails between the order and the capture, and a processor JVM killed with SIGKILL between
 * them. Each ends with one order and at most one capture per payment at the sandbox, and exactly one
 * outcome per payment on payments.results; the last test then reconciles everything against PayPal's
 * Transaction Search: 0 breaks, until breaks are made at the sandbox and repaired.
 *
 * <p>Each test stands alone: it pays under its own key prefix, asserts on its own payments (and on
 * sandbox-wide invariants that hold whatever ran before), resets the sandbox's faults and token
 * lifetime it changed, and makes what it needs (the reconciliation test its own payment and its own
 * unmarked capture). The order ({@link Order}) is kept on purpose, not for correctness: the
 * reconciliation runs last so that it reads back everything the other tests charged. Checked once
 * with {@code MethodOrderer.MethodName} instead (the wire test last, reconciliation before it): every
 * test passed but the two broken on purpose in that run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayPalProviderIT {
    private static ProviderStack stack;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    @Test
    @Order(1)
    void theSandboxSpeaksPayPalsSubset() throws Exception {
        String basic = "Basic "
                + Base64.getEncoder()
                        .encodeToString("sandbox-client-id:sandbox-client-secret".getBytes(StandardCharsets.UTF_8));
        String bearer = tokenAfterTheRefusals(basic);

        // Transaction Search's lines before this test's capture: it stands alone, whatever ran before.
        String range = "start_date=" + Instant.now().minusSeconds(3_600) + "&end_date="
                + Instant.now().plusSeconds(3_600);
        long linesBefore = new JsonObject(
                        send("GET", "/v1/reporting/transactions?" + range + "&page_size=1&page=1", bearer, null, null)
                                .body())
                .getLong("total_items");
        HttpResponse<String> created = send(
                "POST",
                "/v2/checkout/orders",
                bearer,
                "create:wire-1",
                order("wire-1", "USD", "19.99", "pm_card_visa"));
        assertThat(created.statusCode()).isEqualTo(201);
        String orderId = new JsonObject(created.body()).getString("id");
        // The same request id: the same order, not a second one.
        HttpResponse<String> again = send(
                "POST",
                "/v2/checkout/orders",
                bearer,
                "create:wire-1",
                order("wire-1", "USD", "19.99", "pm_card_visa"));
        assertThat(new JsonObject(again.body()).getString("id")).isEqualTo(orderId);

        capturedOnceUnderConcurrentRequests(orderId, bearer);
        aDecliningPayersCaptureIsDeclined(bearer);
        transactionSearchListsTheCaptureLast(range, bearer, linesBefore);
        anExpiredTokenIsRefused(basic, orderId);
    }

    /** Wrong client credentials and an unknown token get 401; the right credentials a token. */
    private static String tokenAfterTheRefusals(String basic) throws Exception {
        assertThat(send("POST", "/v1/oauth2/token", "Basic d3Jvbmc6d3Jvbmc=", null, "grant_type=client_credentials")
                        .statusCode())
                .isEqualTo(401);
        JsonObject token = new JsonObject(send("POST", "/v1/oauth2/token", basic, null, "grant_type=client_credentials")
                .body());
        assertThat(token.getLong("expires_in")).isPositive();
        String bearer = "Bearer " + token.getString("access_token");
        assertThat(send(
                                "POST",
                                "/v2/checkout/orders",
                                "Bearer nope",
                                "wire-1",
                                order("wire-1", "USD", "19.99", "pm_card_visa"))
                        .statusCode())
                .isEqualTo(401);
        return bearer;
    }

    /**
     * Two concurrent captures under one request id: one captures, the other is told it is in progress
     * (422) or gets the first answer, never a second capture.
     */
    private static void capturedOnceUnderConcurrentRequests(String orderId, String bearer) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> both = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            both.add(sendAsync("POST", "/v2/checkout/orders/" + orderId + "/capture", bearer, "capture:wire-1", "{}"));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : both) {
            HttpResponse<String> r = f.get();
            statuses.add(r.statusCode());
            if (r.statusCode() == 422) {
                assertThat(issue(r)).isEqualTo("PREVIOUS_REQUEST_IN_PROGRESS");
            }
        }
        assertThat(statuses).contains(201).allMatch(s -> s == 201 || s == 422);
        // Another request id for the same order: already captured.
        assertThat(issue(send("POST", "/v2/checkout/orders/" + orderId + "/capture", bearer, "capture:other", "{}")))
                .isEqualTo("ORDER_ALREADY_CAPTURED");
    }

    /** A declining payer: the order is made, its capture declined. */
    private static void aDecliningPayersCaptureIsDeclined(String bearer) throws Exception {
        String declined = new JsonObject(send(
                                "POST",
                                "/v2/checkout/orders",
                                bearer,
                                "create:wire-2",
                                order("wire-2", "USD", "5.00", "pm_card_chargeDeclined"))
                        .body())
                .getString("id");
        HttpResponse<String> decline =
                send("POST", "/v2/checkout/orders/" + declined + "/capture", bearer, "capture:wire-2", "{}");
        assertThat(decline.statusCode()).isEqualTo(422);
        assertThat(issue(decline)).isEqualTo("INSTRUMENT_DECLINED");
    }

    /**
     * Transaction Search, paged, oldest first: one line more, this capture, on the last page of size 1;
     * the page after it is empty.
     */
    private static void transactionSearchListsTheCaptureLast(String range, String bearer, long linesBefore)
            throws Exception {
        String last = "&page_size=1&page=" + (linesBefore + 1);
        JsonObject lastPage =
                new JsonObject(send("GET", "/v1/reporting/transactions?" + range + last, bearer, null, null)
                        .body());
        assertThat(lastPage.getLong("total_items")).isEqualTo(linesBefore + 1);
        JsonObject info =
                lastPage.getJsonArray("transaction_details").getJsonObject(0).getJsonObject("transaction_info");
        assertThat(info.getString("custom_field")).isEqualTo("wire-1");
        assertThat(info.getJsonObject("transaction_amount").getString("value")).isEqualTo("19.99");
        JsonObject past = new JsonObject(send(
                        "GET",
                        "/v1/reporting/transactions?" + range + "&page_size=1&page=" + (linesBefore + 2),
                        bearer,
                        null,
                        null)
                .body());
        assertThat(past.getJsonArray("transaction_details")).isEmpty();
        assertThat(past.getLong("total_items")).isEqualTo(linesBefore + 1);
    }

    private static void anExpiredTokenIsRefused(String basic, String orderId) throws Exception {
        stack.sandbox.setPayPalTokenTtlS(1);
        String shortLived = "Bearer "
                + new JsonObject(send("POST", "/v1/oauth2/token", basic, null, "grant_type=client_credentials")
                                .body())
                        .getString("access_token");
        try {
            Thread.sleep(1_500);
            assertThat(send("GET", "/v2/checkout/orders/" + orderId, shortLived, null, null)
                            .statusCode())
                    .isEqualTo(401);
        } finally {
            stack.sandbox.setPayPalTokenTtlS(32_400);
        }
    }

    /**
     * The sandbox refuses what PayPal refuses, by its own copy of PayPal's currency table: a decimal
     * amount in HUF, TWD or JPY ("does not support decimals"), three decimals, a currency PayPal does
     * not list; each as PayPal's {@code 422 UNPROCESSABLE_ENTITY} with the issue in {@code details}.
     */
    @Test
    @Order(2)
    void theSandboxRefusesTheAmountsPayPalRefuses() throws Exception {
        String bearer = bearer();
        String[][] refused = {
            {"HUF", "1234.50", "DECIMALS_NOT_SUPPORTED"},
            {"HUF", "1234.00", "DECIMALS_NOT_SUPPORTED"},
            {"TWD", "50.00", "DECIMALS_NOT_SUPPORTED"},
            {"JPY", "1999.00", "DECIMALS_NOT_SUPPORTED"},
            {"USD", "19.999", "DECIMAL_PRECISION"},
            {"KWD", "1.999", "CURRENCY_NOT_SUPPORTED"},
            {"INR", "19.99", "CURRENCY_NOT_SUPPORTED"},
            {"USD", "0.00", "CANNOT_BE_ZERO_OR_NEGATIVE"},
        };
        for (String[] r : refused) {
            String key = "amount-" + r[0] + "-" + r[1];
            HttpResponse<String> answer = send(
                    "POST", "/v2/checkout/orders", bearer, "create:" + key, order(key, r[0], r[1], "pm_card_visa"));
            assertThat(answer.statusCode()).as(key).isEqualTo(422);
            assertThat(new JsonObject(answer.body()).getString("name")).as(key).isEqualTo("UNPROCESSABLE_ENTITY");
            assertThat(issue(answer)).as(key).isEqualTo(r[2]);
        }
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.paypal_orders WHERE custom_id LIKE 'amount-%'"))
                .as("no order for a refused amount")
                .isZero();
        // Whole forints and dollars, yen: taken, and stored in PayPal's units (HUF 1234 is 1234 forints).
        String[][] taken = {
            {"HUF", "1234", "1234"}, {"TWD", "50", "50"}, {"JPY", "1999", "1999"}, {"USD", "19.99", "1999"}
        };
        for (String[] t : taken) {
            String key = "taken-" + t[0];
            HttpResponse<String> answer = send(
                    "POST", "/v2/checkout/orders", bearer, "create:" + key, order(key, t[0], t[1], "pm_card_visa"));
            assertThat(answer.statusCode()).as(key).isEqualTo(201);
            assertThat(new JsonObject(answer.body())
                            .getJsonArray("purchase_units")
                            .getJsonObject(0)
                            .getJsonObject("amount")
                            .getString("value"))
                    .as(key)
                    .isEqualTo(t[1]);
            assertThat(stack.pg.count("SELECT count(*) FROM sandbox.paypal_orders WHERE custom_id = '" + key
                            + "' AND currency = '" + t[0] + "' AND amount = " + t[2]))
                    .as(key)
                    .isEqualTo(1);
        }
    }

    /**
     * Through the processor: successes in currencies PayPal takes with two decimals and with none
     * (JPY, and HUF and TWD, which ISO gives two: sent as whole units), declines with their issues,
     * and the amounts PayPal cannot take (a fraction of a forint, a currency PayPal does not list)
     * failed by the adapter without any order at PayPal. Exactly one outcome per payment.
     */
    @Test
    @Order(3)
    void paymentsSucceedAndDeclinesEndFailedWithTheirIssue() throws Exception {
        // key -> amount (minor units, ISO's exponent), currency, payer, and the failure code (null: succeeded)
        Map<String, Object[]> cases = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            cases.put("pp-pay-ok-usd-" + i, new Object[] {1_999L, "USD", "pm_card_visa", null});
            cases.put("pp-pay-ok-jpy-" + i, new Object[] {1_999L, "JPY", "pm_card_visa", null});
            cases.put(
                    "pp-pay-decline-" + i,
                    new Object[] {1_999L, "USD", "pm_card_chargeDeclined", "INSTRUMENT_DECLINED"});
            cases.put(
                    "pp-pay-refused-" + i,
                    new Object[] {1_999L, "USD", "pm_card_chargeDeclinedInsufficientFunds", "TRANSACTION_REFUSED"});
        }
        for (int i = 0; i < 2; i++) {
            cases.put("pp-pay-ok-huf-" + i, new Object[] {123_400L, "HUF", "pm_card_visa", null});
            cases.put("pp-pay-ok-twd-" + i, new Object[] {5_000L, "TWD", "pm_card_visa", null});
            cases.put(
                    "pp-pay-frac-huf-" + i,
                    new Object[] {123_450L, "HUF", "pm_card_visa", "paypal_decimals_not_supported"});
            cases.put("pp-pay-kwd-" + i, new Object[] {1_999L, "KWD", "pm_card_visa", "paypal_currency_not_supported"});
        }
        Map<String, String> expected = new HashMap<>();
        cases.forEach((key, c) -> expected.put(key, (String) c[3]));
        Processor processor = stack.startProcessor(paypal(Map.of()));
        try {
            for (Map.Entry<String, Object[]> c : cases.entrySet()) {
                Object[] v = c.getValue();
                assertThat(pay(c.getKey(), (Long) v[0], (String) v[1], (String) v[2]))
                        .as(c.getKey())
                        .isEqualTo(202);
            }
            awaitDecided("pp-pay-", cases.size());
            awaitOutcomes(expected.keySet());
        } finally {
            ProviderStack.await(processor.close());
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            JsonObject view =
                    stack.get(stack.baseUrl() + "/v1/payments/" + PaymentIds.paymentId("default", e.getKey()));
            assertThat(view.getString("status"))
                    .as(e.getKey())
                    .isEqualTo(e.getValue() == null ? "succeeded" : "failed");
            assertThat(view.getString("failure_code")).as(e.getKey()).isEqualTo(e.getValue());
        }
        // Its producer closed: read to the last stable offset, exactly one outcome per payment.
        assertOneOutcomeEach(expected);
        // Captured in PayPal's units, each for its own payment: JPY 1999 as "1999", HUF 1234.00 as
        // "1234" (1234 forints), TWD 50.00 as "50".
        assertThat(capturesOf("pp-pay-ok-jpy-", "JPY", 1_999)).isEqualTo(3);
        assertThat(capturesOf("pp-pay-ok-usd-", "USD", 1_999)).isEqualTo(3);
        assertThat(capturesOf("pp-pay-ok-huf-", "HUF", 1_234)).isEqualTo(2);
        assertThat(capturesOf("pp-pay-ok-twd-", "TWD", 50)).isEqualTo(2);
        // The order id is the payment's recovery point, and every payment PayPal can take had exactly one order.
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM payments p JOIN sandbox.paypal_orders o
                            ON o.id = p.provider_intent AND o.custom_id = p.payment_id
                        WHERE p.idempotency_key LIKE 'pp-pay-%'""")).isEqualTo(16);
        // The amounts PayPal cannot take: no call, so no order at all.
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM sandbox.paypal_orders o JOIN payments p ON o.custom_id = p.payment_id
                        WHERE p.idempotency_key LIKE 'pp-pay-frac-%' OR p.idempotency_key LIKE 'pp-pay-kwd-%'""")).isZero();
        assertOnePerPayment();
        assertThat(
                        stack.pg.count(
                                "SELECT count(*) FROM ledger_entries e JOIN payments p USING (payment_id) WHERE p.idempotency_key LIKE 'pp-pay-%'"))
                .isEqualTo(10);
    }

    /** Captures at the sandbox of the payments under {@code keyPrefix}, in {@code currency}, for {@code units}. */
    private static long capturesOf(String keyPrefix, String currency, long units) throws Exception {
        return stack.pg.count(
                "SELECT count(*) FROM sandbox.paypal_captures c JOIN payments p ON p.payment_id = c.custom_id"
                        + " WHERE p.idempotency_key LIKE '" + keyPrefix + "%' AND c.currency = '" + currency
                        + "' AND c.amount = " + units);
    }

    @Test
    @Order(4)
    void lostAnswersAtEachStepErrorsAndTokenExpiryChargeOncePerPayment() throws Exception {
        // Half of all order and capture answers lost after their effect, a fifth answered 5xx, and
        // tokens that live 2 s (refreshed, or refused and fetched again).
        JsonObject before = stack.get(stack.sandboxUrl() + "/sandbox/paypal/stats");
        stack.sandbox.setFaults(new SandboxFaults(0, 20, 0.2, 0.5, 0.0, 0));
        stack.sandbox.setPayPalTokenTtlS(2);
        Processor processor = stack.startProcessor(paypal(Map.of("processor.maxPollRecords", "10")));
        Map<String, String> expected = new HashMap<>();
        JsonObject stats;
        try {
            for (int i = 0; i < 30; i++) {
                expected.put("pp-lossy-" + i, null);
                assertThat(pay("pp-lossy-" + i, 100 + i, "EUR", "pm_card_visa")).isEqualTo(202);
                if (i % 10 == 9) {
                    Thread.sleep(2_100);
                }
            }
            awaitDecided("pp-lossy-", 30);
            awaitOutcomes(expected.keySet());
            stats = stack.get(stack.sandboxUrl() + "/sandbox/paypal/stats");
            // The faults really happened: lost answers recovered by replays under the same ids, and
            // 5xx injected at the orders API (counted at the sandbox), each one seen and retried by
            // this processor (the only client meanwhile), none taken for an answer.
            assertThat(stats.getLong("answers_dropped") - before.getLong("answers_dropped"))
                    .isPositive();
            assertThat(stats.getLong("answers_dropped_then_replayed") - before.getLong("answers_dropped_then_replayed"))
                    .isPositive();
            long injected = stats.getLong("injected_5xx_api") - before.getLong("injected_5xx_api");
            assertThat(injected).as("5xx injected at the orders API").isPositive();
            double retried5xx = processor.metrics().count("provider.retried", "status", "500")
                    + processor.metrics().count("provider.retried", "status", "503");
            assertThat(retried5xx).as("5xx retried by the adapter").isEqualTo((double) injected);
            assertThat(processor.metrics().count("provider.token.fetches")).isGreaterThan(1);
        } finally {
            stack.sandbox.setFaults(SandboxFaults.NONE);
            stack.sandbox.setPayPalTokenTtlS(32_400);
            ProviderStack.await(processor.close());
        }
        assertThat(
                        stack.pg.count(
                                "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pp-lossy-%' AND status = 'succeeded'"))
                .isEqualTo(30);
        assertOneOutcomeEach(expected);
        assertOnePerPayment();
    }

    @Test
    @Order(5)
    void aBatchThatFailsBetweenOrderAndCaptureCapturesTheSameOrderOnReplay() throws Exception {
        // The real adapter, whose capture step fails once for every payment: the batch fails after
        // the orders were recorded, is retried, and captures the orders recorded, never orders again.
        AtomicInteger prepared = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Map<String, String> settings = stack.processorSettings(paypal(Map.of()));
        ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
        PaymentProvider[] real = new PaymentProvider[1];
        PaymentProvider flaky = new PaymentProvider() {
            @Override
            public Future<List<ChargeResult>> prepare(List<Charge> charges) {
                prepared.addAndGet(charges.size());
                return real[0].prepare(charges);
            }

            @Override
            public Future<List<ChargeResult>> charge(List<Charge> charges) {
                // Every payment's first capture attempt fails its batch, after its order was recorded.
                boolean fresh = false;
                for (Charge c : charges) {
                    fresh |= seen.add(c.paymentId());
                }
                if (fresh) {
                    failures.incrementAndGet();
                    return Future.failedFuture(new ProviderUnavailableException("injected: no capture answer"));
                }
                return real[0].charge(charges);
            }
        };
        Processor processor =
                ProviderStack.await(Processor.deploy(stack.vertx, config, new LazyPayPal(stack, config, real, flaky)));
        Map<String, String> expected = new HashMap<>();
        try {
            for (int i = 0; i < 5; i++) {
                expected.put("pp-split-" + i, null);
                assertThat(pay("pp-split-" + i, 700, "USD", "pm_card_visa")).isEqualTo(202);
            }
            awaitDecided("pp-split-", 5);
            awaitOutcomes(expected.keySet());
            assertThat(failures.get()).isPositive();
            // Each payment ordered once: the replays found its order and only captured.
            assertThat(prepared.get()).isEqualTo(5);
            assertThat(
                            stack.pg.count(
                                    "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pp-split-%' AND status = 'succeeded' AND attempts > 1"))
                    .isEqualTo(5);
            assertOnePerPayment();
        } finally {
            ProviderStack.await(processor.close());
        }
        assertOneOutcomeEach(expected);
    }

    @Test
    @Order(6)
    void killedBetweenOrderAndCaptureTheRestartCapturesTheSameOrders() throws Exception {
        // The sandbox holds every capture unanswered and without effect: the processor, in its own
        // JVM, records each payment's order and then waits on its capture. SIGKILL there.
        stack.sandbox.holdPayPalCaptures(true);
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            expected.put("pp-kill-" + i, i % 5 == 4 ? "INSTRUMENT_DECLINED" : null);
        }
        Map<String, String> orderAtKill = killedAtTheCaptureStep();
        theRestartCapturesTheOrdersRecordedBeforeTheKill(expected, orderAtKill);
    }

    /** Ten payments, the processor SIGKILLed while the sandbox holds their captures: each payment's order. */
    private static Map<String, String> killedAtTheCaptureStep() throws Exception {
        JvmProcess first = ProcessorProcess.start(crashProcessor());
        try {
            assertThat(first.awaitLine("processor pp-crash ready", 60_000)).isTrue();
            for (int i = 0; i < 10; i++) {
                String method = i % 5 == 4 ? "pm_card_chargeDeclined" : "pm_card_visa";
                assertThat(pay("pp-kill-" + i, 300 + i, i % 2 == 0 ? "USD" : "JPY", method))
                        .isEqualTo(202);
            }
            assertThat(stack.pg.awaitCount(
                            "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pp-kill-%'"
                                    + " AND status = 'charging' AND provider_intent IS NOT NULL",
                            10, 60_000))
                    .isEqualTo(10);
            assertThat(Await.until(
                            () -> stack.get(stack.sandboxUrl() + "/sandbox/paypal/stats")
                                            .getLong("captures_held")
                                    > 0,
                            30_000))
                    .as("the processor was at the capture step")
                    .isTrue();
        } finally {
            first.kill();
            stack.sandbox.holdPayPalCaptures(false);
        }
        assertThat(first.exitCode()).isEqualTo(137);
        Map<String, String> orderAtKill = new HashMap<>();
        for (String row : stack.pg.strings(
                "SELECT payment_id || ' ' || provider_intent FROM payments WHERE idempotency_key LIKE 'pp-kill-%'")) {
            orderAtKill.put(row.split(" ")[0], row.split(" ")[1]);
        }
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM sandbox.paypal_captures c JOIN payments p ON p.payment_id = c.custom_id
                        WHERE p.idempotency_key LIKE 'pp-kill-%'""")).as("nothing captured before the kill").isZero();
        return orderAtKill;
    }

    private static void theRestartCapturesTheOrdersRecordedBeforeTheKill(
            Map<String, String> expected, Map<String, String> orderAtKill) throws Exception {
        // Restarted, with captures let through and a third of all answers lost after their effect.
        stack.sandbox.holdPayPalCaptures(false);
        stack.sandbox.setFaults(new SandboxFaults(0, 0, 0, 0.33, 0, 0));
        JvmProcess second = ProcessorProcess.start(crashProcessor());
        try {
            assertThat(second.awaitLine("processor pp-crash ready", 60_000)).isTrue();
            awaitDecided("pp-kill-", 10);
            // Published too, before this processor goes: nothing left for a later one to finish.
            awaitOutcomes(expected.keySet());
        } finally {
            second.kill();
            stack.sandbox.setFaults(SandboxFaults.NONE);
        }
        // Both producers gone (a transaction the kill left open ends aborted): exactly one each.
        assertOneOutcomeEach(expected);
        assertThat(
                        stack.pg.count(
                                "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pp-kill-%' AND status = 'succeeded'"))
                .isEqualTo(8);
        assertThat(stack.pg.count("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pp-kill-%'"
                        + " AND status = 'failed' AND failure_code = 'INSTRUMENT_DECLINED'"))
                .isEqualTo(2);
        // Each payment's order is the one recorded before the kill, and the one captured: never a second.
        for (String row : stack.pg.strings("""
                SELECT p.payment_id || ' ' || p.provider_intent || ' ' || coalesce(c.order_id, '-')
                FROM payments p LEFT JOIN sandbox.paypal_captures c ON c.custom_id = p.payment_id
                WHERE p.idempotency_key LIKE 'pp-kill-%'""")) {
            String[] f = row.split(" ");
            assertThat(f[1]).as(f[0]).isEqualTo(orderAtKill.get(f[0]));
            if (!f[2].equals("-")) {
                assertThat(f[2]).as(f[0]).isEqualTo(orderAtKill.get(f[0]));
            }
        }
        assertOnePerPayment();
    }

    private static Map<String, String> crashProcessor() {
        Map<String, String> props = stack.processorSettings(paypal(
                Map.of("processor.instanceId", "pp-crash", "processor.httpPort", String.valueOf(FreePorts.pick()))));
        return props;
    }

    @Test
    @Order(7)
    void reconciliationReadsTransactionSearchAndRepairsPayPalsBreaks() throws Exception {
        ProviderAccount paypal =
                ProviderAccount.paypal(stack.sandboxUrl(), "sandbox-client-id", "sandbox-client-secret");
        // What this test needs, made here: a payment charged through the processor (its capture is
        // refunded behind the ledger's back below), and a capture by another system (no invoice_id).
        Processor processor = stack.startProcessor(paypal(Map.of()));
        try {
            assertThat(pay("pp-recon-0", 2_500, "USD", "pm_card_visa")).isEqualTo(202);
            awaitDecided("pp-recon-", 1);
        } finally {
            ProviderStack.await(processor.close());
        }
        String bearer = bearer();
        aForeignCapture(bearer);
        everythingSoFarReconcilesClean(paypal);
        String orphanPayment = PaymentIds.paymentId("default", "pp-orphan");
        String refundedPayment = PaymentIds.paymentId("default", "pp-recon-0");
        anOrphanAndACaptureRefundedBehindTheLedgersBack(bearer, orphanPayment, refundedPayment);
        theRepairRefundsTheOrphanAndCompensatesTheRefunded(paypal, orphanPayment, refundedPayment);
    }

    /** A capture by another system: no invoice_id. */
    private static void aForeignCapture(String bearer) throws Exception {
        String foreignOrder = new JsonObject(send(
                                "POST",
                                "/v2/checkout/orders",
                                bearer,
                                "create:recon-foreign",
                                order("recon-foreign", "USD", "3.00", "pm_card_visa"))
                        .body())
                .getString("id");
        assertThat(send(
                                "POST",
                                "/v2/checkout/orders/" + foreignOrder + "/capture",
                                bearer,
                                "capture:recon-foreign",
                                "{}")
                        .statusCode())
                .isEqualTo(201);
    }

    private static void everythingSoFarReconcilesClean(ProviderAccount paypal) throws Exception {
        // Everything charged so far (by every test before, when the class runs whole), read back from
        // Transaction Search: no break. In pages of 7
        // lines, and with the sandbox refusing any query that matches more than 40 lines (PayPal's
        // RESULTSET_TOO_LARGE, at 10,000 there), so that the report is read over several pages of
        // several date ranges, each range halved until it fits.
        stack.sandbox.setPayPalReportLinesMax(40);
        ReconcileReport clean;
        try {
            clean = stack.reconcile(false, 0, paypal, 7);
        } finally {
            stack.sandbox.setPayPalReportLinesMax(10_000);
        }
        assertThat(clean.total()).as(clean.table()).isZero();
        long captures = stack.pg.count("SELECT count(*) FROM sandbox.paypal_captures");
        assertThat(clean.records("provider")).isEqualTo(captures);
        // The captures made by hand carry no invoice_id: another system's, informational, each one.
        long unmarked = stack.pg.count("SELECT count(*) FROM sandbox.paypal_captures"
                + " WHERE invoice_id IS NULL OR invoice_id NOT LIKE 'streamsocial-billing:%'");
        assertThat(unmarked).isPositive();
        assertThat(clean.count(BreakClass.FOREIGN_CHARGE)).as(clean.table()).isEqualTo(unmarked);
    }

    /**
     * Two breaks made at the sandbox: a capture with this system's marker for no known payment
     * (orphan), and a succeeded payment's capture refunded behind the ledger's back.
     */
    private static void anOrphanAndACaptureRefundedBehindTheLedgersBack(
            String bearer, String orphanPayment, String refundedPayment) throws Exception {
        JsonObject order = new JsonObject(order(orphanPayment, "USD", "5.00", "pm_card_visa"));
        order.getJsonArray("purchase_units")
                .getJsonObject(0)
                .put("invoice_id", "streamsocial-billing:default:" + orphanPayment);
        String orphanOrder = new JsonObject(send("POST", "/v2/checkout/orders", bearer, "create:orphan", order.encode())
                        .body())
                .getString("id");
        assertThat(send("POST", "/v2/checkout/orders/" + orphanOrder + "/capture", bearer, "capture:orphan", "{}")
                        .statusCode())
                .isEqualTo(201);
        String refundedCapture =
                stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + refundedPayment + "'");
        assertThat(send("POST", "/v2/payments/captures/" + refundedCapture + "/refund", bearer, "behind-the-back", "{}")
                        .statusCode())
                .isEqualTo(201);
    }

    /** Found by a dry run, repaired once; a second repair finds nothing to do. */
    private static void theRepairRefundsTheOrphanAndCompensatesTheRefunded(
            ProviderAccount paypal, String orphanPayment, String refundedPayment) throws Exception {
        ReconcileReport dry = stack.reconcile(false, 0, paypal);
        assertThat(dry.count(BreakClass.ORPHAN_CHARGE)).as(dry.table()).isEqualTo(1);
        assertThat(dry.count(BreakClass.MISSING_AT_PROVIDER)).as(dry.table()).isEqualTo(1);
        assertThat(dry.ids(BreakClass.MISSING_AT_PROVIDER)).containsExactly(refundedPayment);
        assertThat(dry.total()).as(dry.table()).isEqualTo(2);

        ReconcileReport repair = stack.reconcile(true, 0, paypal);
        assertThat(repair.total()).isEqualTo(2);
        // The orphan refunded at PayPal (by its capture, once), the other payment compensated in the ledger.
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM sandbox.paypal_refunds r JOIN sandbox.paypal_captures c ON c.id = r.capture_id
                        WHERE c.custom_id = '%s' AND r.request_id = 'refund:' || c.id""".formatted(orphanPayment))).isEqualTo(1);
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'compensation' AND note = 'status:failed'"
                                + " AND amount = -2500 AND payment_id = '" + refundedPayment + "'"))
                .isEqualTo(1);
        ReconcileReport after = stack.reconcile(false, 0, paypal);
        assertThat(after.total()).as(after.table()).isZero();
        // A second repair finds nothing to do: the refund is not asked twice.
        assertThat(stack.reconcile(true, 0, paypal).total()).isZero();
        assertThat(stack.get(stack.sandboxUrl() + "/sandbox/paypal/stats").getLong("refunds"))
                .isEqualTo(2);
    }

    /** Builds the real adapter on the processor's own Vert.x context, as Processor does. */
    private static final class LazyPayPal implements PaymentProvider {
        private final ProviderStack stack;
        private final ProcessorConfig config;
        private final PaymentProvider[] real;
        private final PaymentProvider flaky;

        LazyPayPal(ProviderStack stack, ProcessorConfig config, PaymentProvider[] real, PaymentProvider flaky) {
            this.stack = stack;
            this.config = config;
            this.real = real;
            this.flaky = flaky;
        }

        private void init() {
            if (real[0] == null) {
                real[0] = new com.streamsocial.billing.processor.psp.PayPalProvider(
                        stack.vertx,
                        new com.streamsocial.billing.processor.psp.PayPalProvider.Options(
                                config.providerBaseUrl(),
                                config.providerClientId(),
                                config.providerClientSecret(),
                                new com.streamsocial.billing.processor.psp.ProviderLimits(16, 16, 10_000),
                                config.providerCallTimeoutMs(),
                                config.providerRetryInitialMs(),
                                config.providerRetryMaxMs(),
                                config.providerDeadlineMs()),
                        new com.streamsocial.billing.processor.ProcessorMeters(
                                new com.streamsocial.billing.metrics.ServiceMetrics()));
            }
        }

        @Override
        public Future<List<ChargeResult>> prepare(List<Charge> charges) {
            init();
            return flaky.prepare(charges);
        }

        @Override
        public Future<List<ChargeResult>> charge(List<Charge> charges) {
            init();
            return flaky.charge(charges);
        }
    }

    /** A bearer token from the sandbox's token endpoint, as the adapter gets one. */
    private static String bearer() throws Exception {
        String basic = "Basic "
                + Base64.getEncoder()
                        .encodeToString("sandbox-client-id:sandbox-client-secret".getBytes(StandardCharsets.UTF_8));
        return "Bearer "
                + new JsonObject(send("POST", "/v1/oauth2/token", basic, null, "grant_type=client_credentials")
                                .body())
                        .getString("access_token");
    }

    private static Set<String> paymentIds(Collection<String> keys) {
        Set<String> ids = new HashSet<>();
        for (String key : keys) {
            ids.add(PaymentIds.paymentId("default", key));
        }
        return ids;
    }

    /**
     * The outcomes on payments.results of these payments, per payment id: the whole topic read under
     * read_committed to its last stable offset.
     */
    private static Map<String, List<OutcomeEvent>> outcomes(Set<String> ids) {
        Map<String, List<OutcomeEvent>> out = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true)) {
            OutcomeEvent o = OutcomeEvent.parse(r.value());
            if (ids.contains(o.paymentId())) {
                out.computeIfAbsent(o.paymentId(), k -> new ArrayList<>()).add(o);
            }
        }
        return out;
    }

    /** Waits, at most 60 s, until each payment of {@code keys} has an outcome published, or fails. */
    private static void awaitOutcomes(Collection<String> keys) throws Exception {
        Set<String> ids = paymentIds(keys);
        assertThat(Await.until(() -> outcomes(ids).keySet().containsAll(ids), 60_000))
                .as("an outcome published for each of " + ids.size() + " payments")
                .isTrue();
    }

    /**
     * Exactly one outcome per payment, with its status and failure code ({@code null}: succeeded).
     * Called once the processors that published them are closed or killed, so that nothing can still
     * be on its way: a duplicate would be in the topic by then.
     */
    private static void assertOneOutcomeEach(Map<String, String> failureCodeByKey) {
        Map<String, List<OutcomeEvent>> got = outcomes(paymentIds(failureCodeByKey.keySet()));
        assertThat(got).as("payments with an outcome").hasSize(failureCodeByKey.size());
        for (Map.Entry<String, String> e : failureCodeByKey.entrySet()) {
            List<OutcomeEvent> each = got.get(PaymentIds.paymentId("default", e.getKey()));
            assertThat(each).as(e.getKey()).hasSize(1);
            assertThat(each.get(0).status())
                    .as(e.getKey())
                    .isEqualTo(e.getValue() == null ? PaymentStatus.SUCCEEDED : PaymentStatus.FAILED);
            assertThat(each.get(0).failureCode()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    /** One order per payment, and at most one capture, across everything this class ran. */
    private static void assertOnePerPayment() throws Exception {
        JsonObject stats = stack.get(stack.sandboxUrl() + "/sandbox/paypal/stats");
        assertThat(stats.getLong("max_orders_per_custom_id")).isEqualTo(1);
        assertThat(stats.getLong("max_captures_per_custom_id")).isEqualTo(1);
        assertThat(stats.getJsonArray("custom_ids_with_more_than_one_capture")).isEqualTo(new JsonArray());
        // Every captured payment is succeeded in the ledger, and no succeeded payment lacks its capture.
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM sandbox.paypal_captures c
                        LEFT JOIN payments p ON p.payment_id = c.custom_id
                        WHERE c.custom_id LIKE 'pay_%' AND (p.status IS DISTINCT FROM 'succeeded' OR p.provider_ref <> c.id)""")).isZero();
        assertThat(stack.pg.count("""
                        SELECT count(*) FROM payments p
                        WHERE p.status = 'succeeded' AND p.idempotency_key LIKE 'pp-%'
                          AND NOT EXISTS (SELECT 1 FROM sandbox.paypal_captures c WHERE c.custom_id = p.payment_id)""")).isZero();
    }

    private static Map<String, String> paypal(Map<String, String> extra) {
        Map<String, String> o = new HashMap<>(extra);
        o.put("provider.kind", "paypal");
        o.put("processor.processTimeoutMs", "8000");
        o.put("processor.transactionTimeoutMs", "20000");
        o.put("provider.callTimeoutMs", "1000");
        o.put("provider.retryMaxMs", "300");
        o.put("processor.backoffMaxMs", "1000");
        o.put("processor.stuckCheckMs", "1000");
        return o;
    }

    private static void awaitDecided(String keyPrefix, int n) throws Exception {
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status IN ('succeeded', 'failed') AND idempotency_key LIKE '"
                                + keyPrefix + "%'",
                        n,
                        90_000))
                .isEqualTo(n);
    }

    private static int pay(String key, long amount, String currency, String method) throws Exception {
        String body = new JsonObject()
                .put("amount", amount)
                .put("currency", currency)
                .put("customer_id", "cus_1")
                .put("payment_method", method)
                .encode();
        return http.send(
                        HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/v1/payments"))
                                .header("Authorization", "Bearer " + stack.apiKey)
                                .header("Idempotency-Key", key)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    private static String order(String customId, String currency, String value, String method) {
        return new JsonObject()
                .put("intent", "CAPTURE")
                .put(
                        "purchase_units",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("custom_id", customId)
                                        .put(
                                                "amount",
                                                new JsonObject()
                                                        .put("currency_code", currency)
                                                        .put("value", value))))
                .put(
                        "payment_source",
                        new JsonObject()
                                .put("token", new JsonObject().put("id", method).put("type", "BILLING_AGREEMENT")))
                .encode();
    }

    private static String issue(HttpResponse<String> r) {
        JsonObject body = new JsonObject(r.body());
        return body.getJsonArray("details").getJsonObject(0).getString("issue");
    }

    private static HttpRequest request(String method, String path, String auth, String requestId, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stack.sandboxUrl() + path));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (requestId != null) {
            b.header("PayPal-Request-Id", requestId);
        }
        if (body != null) {
            b.header("Content-Type", body.startsWith("{") ? "application/json" : "application/x-www-form-urlencoded");
            b.method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private static HttpResponse<String> send(String method, String path, String auth, String requestId, String body)
            throws Exception {
        return http.send(request(method, path, auth, requestId, body), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(
            String method, String path, String auth, String requestId, String body) {
        return http.sendAsync(request(method, path, auth, requestId, body), HttpResponse.BodyHandlers.ofString());
    }
}
