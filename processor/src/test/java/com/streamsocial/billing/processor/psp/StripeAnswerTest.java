package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.psp.PaymentProvider.Verdict;
import com.streamsocial.billing.processor.psp.StripeAnswer.Answered;
import com.streamsocial.billing.processor.psp.StripeAnswer.Decision;
import com.streamsocial.billing.processor.psp.StripeAnswer.Retry;
import java.util.List;
import org.junit.jupiter.api.Test;

class StripeAnswerTest {
    private static final Charge C = new Charge("pay_1", 1_000, "USD", "cus_1", "pm_card_visa", "default", null);

    private static ChargeResult answered(int status, String body) {
        Decision d = StripeAnswer.decide(C, status, body);
        assertThat(d).as(status + " " + body).isInstanceOf(Answered.class);
        return ((Answered) d).result();
    }

    private static Retry retried(int status, String body) {
        Decision d = StripeAnswer.decide(C, status, body);
        assertThat(d).as(status + " " + body).isInstanceOf(Retry.class);
        return (Retry) d;
    }

    private static String intent(String status, long amount, String currency) {
        return "{\"id\":\"pi_1\",\"object\":\"payment_intent\",\"status\":\"" + status + "\",\"amount\":" + amount
                + ",\"currency\":\"" + currency + "\",\"latest_charge\":\"ch_1\"}";
    }

    @Test
    void succeededIsASuccessNamingItsCharge() {
        ChargeResult r = answered(200, intent("succeeded", 1_000, "usd"));
        assertThat(r.verdict()).isEqualTo(Verdict.SUCCEEDED);
        assertThat(r.providerRef()).isEqualTo("ch_1");
        assertThat(r.intentId()).isEqualTo("pi_1");
    }

    @Test
    void nonFinalStatusesArePendingWithTheirIntent() {
        for (String st : List.of("processing", "requires_action", "requires_capture", "requires_confirmation", "new")) {
            ChargeResult r = answered(200, intent(st, 1_000, "usd"));
            assertThat(r.verdict()).as(st).isEqualTo(Verdict.PENDING);
            assertThat(r.intentId()).isEqualTo("pi_1");
            assertThat(r.detail()).isEqualTo(st);
        }
    }

    @Test
    void aFailedAttemptOrACancellationIsAFailure() {
        String failed = "{\"id\":\"pi_1\",\"status\":\"requires_payment_method\",\"amount\":1000,\"currency\":\"usd\","
                + "\"last_payment_error\":{\"code\":\"card_declined\",\"decline_code\":\"do_not_honor\"}}";
        assertThat(answered(200, failed).failureCode()).isEqualTo("do_not_honor");
        assertThat(answered(200, intent("canceled", 1_000, "usd")).verdict()).isEqualTo(Verdict.FAILED);
    }

    @Test
    void anotherAmountOrCurrencyIsAMismatchWhateverTheStatus() {
        assertThat(answered(200, intent("succeeded", 1_001, "usd")).verdict()).isEqualTo(Verdict.MISMATCH);
        assertThat(answered(200, intent("succeeded", 1_000, "eur")).verdict()).isEqualTo(Verdict.MISMATCH);
        assertThat(answered(200, intent("processing", 999, "usd")).verdict()).isEqualTo(Verdict.MISMATCH);
        assertThat(answered(200, intent("succeeded", 1_000, "USD")).verdict()).isEqualTo(Verdict.SUCCEEDED);
    }

    @Test
    void declinesAndPerPaymentInvalidRequestsAreFailures() {
        ChargeResult d = answered(
                402,
                "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\","
                        + "\"payment_intent\":{\"id\":\"pi_9\"}}}");
        assertThat(d.verdict()).isEqualTo(Verdict.FAILED);
        assertThat(d.failureCode()).isEqualTo("insufficient_funds");
        assertThat(d.intentId()).isEqualTo("pi_9");
        assertThat(answered(402, "").failureCode()).isEqualTo("card_declined");
        assertThat(answered(400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"amount_too_small\"}}")
                        .failureCode())
                .isEqualTo("amount_too_small");
        assertThat(answered(
                                400,
                                "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\","
                                        + "\"param\":\"payment_method\"}}")
                        .failureCode())
                .isEqualTo("resource_missing");
    }

    @Test
    void configurationErrorsAreRetriedNeverOutcomes() {
        assertThat(retried(
                                400,
                                "{\"error\":{\"type\":\"idempotency_error\",\"message\":\"Keys for idempotent requests\"}}")
                        .configuration())
                .isTrue();
        assertThat(retried(
                                404,
                                "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Unrecognized request URL\"}}")
                        .configuration())
                .isTrue();
        assertThat(retried(404, "<html>Not Found</html>").configuration()).isTrue();
        assertThat(retried(
                                404,
                                "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\","
                                        + "\"param\":\"intent\"}}")
                        .configuration())
                .isTrue();
        assertThat(retried(
                                400,
                                "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_unknown\","
                                        + "\"param\":\"colour\"}}")
                        .configuration())
                .isTrue();
        assertThat(retried(401, "{}").configuration()).isTrue();
        assertThat(retried(403, "").configuration()).isTrue();
    }

    /** Free text a provider (or a hostile endpoint) may put in an error: a secret and a card number. */
    static final String HOSTILE_MESSAGE =
            "Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dc, card 4242 4242 4242 4242";

    @Test
    void theProvidersMessageNeverReachesTheReasonOnlyItsTokens() {
        for (int status : new int[] {400, 401, 404, 409, 429, 500, 503}) {
            String reason = retried(
                            status,
                            "{\"error\":{\"type\":\"api_error\",\"code\":\"rate_limit\",\"message\":\""
                                    + HOSTILE_MESSAGE + "\"}}")
                    .reason();
            assertThat(reason).isEqualTo("HTTP " + status + " api_error rate_limit");
        }
        // A type or code that is no short token is left out too: it is free text in a token's place.
        String reason = retried(
                        503,
                        "{\"error\":{\"type\":\"" + HOSTILE_MESSAGE + "\",\"code\":\"4242424242424242 sk_live_x\"}}")
                .reason();
        assertThat(reason).isEqualTo("HTTP 503").doesNotContain("4242", "sk_live");
        assertThat(retried(503, "{\"error\":{\"code\":\"" + "c".repeat(65) + "\"}}")
                        .reason())
                .isEqualTo("HTTP 503");
        assertThat(retried(503, "{\"error\":{\"code\":\"" + "c".repeat(64) + "\"}}")
                        .reason())
                .isEqualTo("HTTP 503 " + "c".repeat(64));
        // A decline code that is no token is not the failure code: the error's code, else ours.
        ChargeResult declined = answered(
                402,
                "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\",\"decline_code\":\"" + HOSTILE_MESSAGE
                        + "\",\"message\":\"" + HOSTILE_MESSAGE + "\"}}");
        assertThat(declined.failureCode()).isEqualTo("card_declined");
        assertThat(answered(402, "{\"error\":{\"type\":\"card_error\",\"code\":\"a b\"}}")
                        .failureCode())
                .isEqualTo("card_declined");
        String attempt = "{\"id\":\"pi_1\",\"status\":\"requires_payment_method\",\"amount\":1000,\"currency\":\"usd\","
                + "\"last_payment_error\":{\"code\":\"card 4242 4242 4242 4242\",\"decline_code\":\"sk_live x\","
                + "\"message\":\"" + HOSTILE_MESSAGE + "\"}}";
        assertThat(answered(200, attempt).failureCode()).isEqualTo("payment_failed");
        // A status that is no token is not the pending detail, nor a mismatch's.
        ChargeResult pending = answered(200, intent("new 4242 4242 4242 4242", 1_000, "usd"));
        assertThat(pending.verdict()).isEqualTo(Verdict.PENDING);
        assertThat(pending.detail()).isEqualTo("unrecognised");
        assertThat(answered(200, intent("odd status 4242 4242 4242 4242", 1_001, "usd"))
                        .detail())
                .isEqualTo("provider ? 1001 usd, asked 1000 usd");
    }

    @Test
    void transientAnswersAreRetried() {
        for (int status : new int[] {409, 429, 500, 502, 503, 504, 302, 418}) {
            assertThat(retried(status, "{\"error\":{\"type\":\"api_error\"}}").configuration())
                    .as("" + status)
                    .isFalse();
        }
    }

    @Test
    void decodingIsTotal() {
        String[] bodies = {
            null,
            "",
            "not json",
            "[1,2]",
            "\"text\"",
            "42",
            "{\"id\":5,\"status\":[],\"amount\":\"1000\",\"currency\":{}}",
            "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":1000.5,\"currency\":\"usd\"}",
            "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":99999999999999999999999,\"currency\":\"usd\"}",
            "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":null,\"currency\":null}",
            "{\"error\":\"string\"}",
            "{\"error\":{\"type\":7,\"code\":null,\"decline_code\":[],\"payment_intent\":\"pi\"}}",
            "{\"error\":null}",
            "{".repeat(5_000),
        };
        for (int status : new int[] {200, 400, 402, 404, 500}) {
            for (String b : bodies) {
                Decision d = StripeAnswer.decide(C, status, b);
                assertThat(d).as(status + " " + b).isNotNull();
                if (status == 200) {
                    assertThat(d).as(b).isInstanceOf(Retry.class);
                }
            }
        }
    }
}
