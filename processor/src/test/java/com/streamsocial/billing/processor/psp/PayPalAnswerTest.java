package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.Verdict;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** What each PayPal answer means; any status and any bytes give a decision, never an exception. */
class PayPalAnswerTest {
    private static final Charge USD = new Charge("pay_1", 1999, "USD", "cus_1", "pm_card_visa", "default", null);
    private static final Charge JPY = new Charge("pay_2", 1999, "JPY", "cus_1", "pm_card_visa", "default", null);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String order(String id, String currency, String value) {
        return "{\"id\":\"" + id + "\",\"status\":\"APPROVED\",\"purchase_units\":[{\"amount\":{\"currency_code\":\""
                + currency + "\",\"value\":\"" + value + "\"}}]}";
    }

    private static String captured(String status, String currency, String value) {
        return "{\"id\":\"O1\",\"status\":\"COMPLETED\",\"purchase_units\":[{\"payments\":{\"captures\":[{\"id\":\"CAP1\","
                + "\"status\":\"" + status + "\",\"amount\":{\"currency_code\":\"" + currency + "\",\"value\":\""
                + value
                + "\"}}]}}]}";
    }

    private static String problem(String name, String issue) {
        return "{\"name\":\"" + name + "\",\"message\":\"m\",\"details\":[{\"issue\":\"" + issue + "\"}]}";
    }

    @Test
    void anOrderForTheAmountAskedIsCreatedInTheCurrencysExponent() {
        assertThat(PayPalAnswer.created(USD, 201, utf8(order("O1", "USD", "19.99"))))
                .isEqualTo(new PayPalAnswer.Created("O1"));
        assertThat(PayPalAnswer.created(JPY, 200, utf8(order("O2", "JPY", "1999"))))
                .isEqualTo(new PayPalAnswer.Created("O2"));
        // The same number in the wrong exponent, or another currency, is a mismatch, never captured.
        PayPalAnswer.Decision wrong = PayPalAnswer.created(JPY, 201, utf8(order("O3", "JPY", "19.99")));
        assertThat(((PayPalAnswer.Answered) wrong).result().verdict()).isEqualTo(Verdict.MISMATCH);
        assertThat(((PayPalAnswer.Answered) wrong).result().intentId()).isNull();
        PayPalAnswer.Decision eur = PayPalAnswer.created(USD, 201, utf8(order("O4", "EUR", "19.99")));
        assertThat(((PayPalAnswer.Answered) eur).result().verdict()).isEqualTo(Verdict.MISMATCH);
    }

    @Test
    void capturesDecideTheOutcome() {
        var ok = (PayPalAnswer.Answered)
                PayPalAnswer.captured(USD, "O1", 201, utf8(captured("COMPLETED", "USD", "19.99")));
        assertThat(ok.result().verdict()).isEqualTo(Verdict.SUCCEEDED);
        assertThat(ok.result().providerRef()).isEqualTo("CAP1");
        assertThat(ok.result().intentId()).isEqualTo("O1");
        var pending = (PayPalAnswer.Answered)
                PayPalAnswer.captured(USD, "O1", 201, utf8(captured("PENDING", "USD", "19.99")));
        assertThat(pending.result().verdict()).isEqualTo(Verdict.PENDING);
        var declined = (PayPalAnswer.Answered)
                PayPalAnswer.captured(USD, "O1", 201, utf8(captured("DECLINED", "USD", "19.99")));
        assertThat(declined.result().verdict()).isEqualTo(Verdict.FAILED);
        var more = (PayPalAnswer.Answered)
                PayPalAnswer.captured(USD, "O1", 201, utf8(captured("COMPLETED", "USD", "20.00")));
        assertThat(more.result().verdict()).isEqualTo(Verdict.MISMATCH);
    }

    @Test
    void errorsMapAsTheIssueSays() {
        var decline = (PayPalAnswer.Answered)
                PayPalAnswer.captured(USD, "O1", 422, utf8(problem("UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED")));
        assertThat(decline.result().verdict()).isEqualTo(Verdict.FAILED);
        assertThat(decline.result().failureCode()).isEqualTo("INSTRUMENT_DECLINED");
        // A duplicate request id in flight: retried, never an outcome, at either step.
        assertThat(PayPalAnswer.created(
                        USD, 422, utf8(problem("UNPROCESSABLE_ENTITY", "PREVIOUS_REQUEST_IN_PROGRESS"))))
                .isInstanceOf(PayPalAnswer.Retry.class);
        assertThat(PayPalAnswer.captured(
                        USD, "O1", 409, utf8(problem("RESOURCE_CONFLICT", "PREVIOUS_REQUEST_IN_PROGRESS"))))
                .isInstanceOf(PayPalAnswer.Retry.class);
        // An unknown 422 issue is no decline: retried.
        assertThat(PayPalAnswer.captured(USD, "O1", 422, utf8(problem("UNPROCESSABLE_ENTITY", "SOMETHING_NEW"))))
                .isInstanceOf(PayPalAnswer.Retry.class);
        assertThat(PayPalAnswer.captured(
                        USD, "O1", 422, utf8(problem("UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED"))))
                .isEqualTo(new PayPalAnswer.LookUp("O1"));
        var expired = (PayPalAnswer.Retry) PayPalAnswer.captured(USD, "O1", 401, utf8("{\"error\":\"invalid_token\"}"));
        assertThat(expired.tokenRejected()).isTrue();
        assertThat(expired.configuration()).isFalse();
        for (int status : new int[] {429, 500, 502, 503}) {
            var r = (PayPalAnswer.Retry) PayPalAnswer.created(USD, status, utf8(problem("INTERNAL_SERVER_ERROR", "X")));
            assertThat(r.configuration()).isFalse();
        }
        assertThat(((PayPalAnswer.Retry) PayPalAnswer.created(USD, 404, null)).configuration())
                .isTrue();
    }

    @Test
    void theProvidersMessageNeverReachesTheReasonOnlyItsTokens() {
        String hostile = StripeAnswerTest.HOSTILE_MESSAGE;
        String withMessage = "{\"name\":\"INTERNAL_SERVER_ERROR\",\"message\":\"" + hostile
                + "\",\"details\":[{\"issue\":\"INTERNAL_SERVICE_ERROR\",\"description\":\"" + hostile + "\"}]}";
        for (int status : new int[] {400, 403, 404, 409, 422, 429, 500, 503}) {
            var created = (PayPalAnswer.Retry) PayPalAnswer.created(USD, status, utf8(withMessage));
            assertThat(created.reason()).isEqualTo("HTTP " + status + " INTERNAL_SERVER_ERROR INTERNAL_SERVICE_ERROR");
            var captured = (PayPalAnswer.Retry) PayPalAnswer.captured(USD, "O1", status, utf8(withMessage));
            assertThat(captured.reason()).isEqualTo("HTTP " + status + " INTERNAL_SERVER_ERROR INTERNAL_SERVICE_ERROR");
        }
        // The OAuth error's description neither.
        var expired = (PayPalAnswer.Retry) PayPalAnswer.captured(
                USD, "O1", 401, utf8("{\"error\":\"invalid_token\",\"error_description\":\"" + hostile + "\"}"));
        assertThat(expired.reason()).isEqualTo("HTTP 401");
        // A name or issue that is no short token is left out: free text in a token's place.
        var unsafe = (PayPalAnswer.Retry) PayPalAnswer.created(
                USD, 500, utf8("{\"name\":\"" + hostile + "\",\"details\":[{\"issue\":\"4242424242424242 x\"}]}"));
        assertThat(unsafe.reason()).isEqualTo("HTTP 500").doesNotContain("4242", "sk_live");
        // Statuses, amounts and ids that are no tokens do not reach a pending or mismatch detail.
        String pendingCapture = captured("PENDING 4242 4242 4242 4242", "USD", "19.99");
        assertThat(((PayPalAnswer.Answered) PayPalAnswer.captured(USD, "O1", 201, utf8(pendingCapture)))
                        .result()
                        .detail())
                .isEqualTo("capture unrecognised");
        String mismatch = captured("COMPLETED", "USD", "1 4242 4242 4242 4242");
        assertThat(((PayPalAnswer.Answered) PayPalAnswer.captured(USD, "O1", 201, utf8(mismatch)))
                        .result()
                        .detail())
                .isEqualTo("provider COMPLETED ? USD, asked 19.99 USD");
        assertThat(((PayPalAnswer.Answered)
                                PayPalAnswer.created(USD, 201, utf8(order("O1 " + hostile, "USD", "20.00"))))
                        .result()
                        .detail())
                .isEqualTo("order ? for 20.00 USD, asked 19.99 USD");
    }

    private static Gen<byte[]> bodies() {
        return Gens.oneOf(
                        Gens.bytes(200),
                        Gens.anyStrings(200).map(PayPalAnswerTest::utf8),
                        Gens.of(
                                        order("O1", "USD", "19.99"),
                                        captured("COMPLETED", "USD", "19.99"),
                                        problem("UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED"),
                                        "{\"id\":1,\"purchase_units\":[1]}",
                                        "{\"purchase_units\":[{\"payments\":{\"captures\":[null]}}]}",
                                        "{\"details\":\"x\"}",
                                        "[]",
                                        "null")
                                .map(PayPalAnswerTest::utf8))
                .describedAs(Gens::printable);
    }

    @Test
    void anyAnswerGivesADecisionNeverAnException() {
        Props.cases(3_000).forAll(bodies(), statuses()).checkAssert((body, status) -> {
            assertThat(PayPalAnswer.created(USD, status, body)).isNotNull();
            assertThat(PayPalAnswer.captured(JPY, "O1", status, body)).isNotNull();
        });
    }

    private static Gen<Integer> statuses() {
        return Gens.oneOf(Gens.of(200, 201, 401, 404, 409, 422, 429, 500), Gens.ints());
    }

    @Test
    void anAnswerOverTheBoundIsRetried() {
        byte[] big = new byte[StripeAnswer.PROVIDER_ANSWER_BYTES_MAX + 1];
        assertThat(PayPalAnswer.created(USD, 201, big)).isInstanceOf(PayPalAnswer.Retry.class);
    }
}
