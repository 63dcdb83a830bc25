package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.RefundAnswer.Decided;
import com.streamsocial.billing.processor.psp.RefundAnswer.Retry;
import com.streamsocial.billing.processor.psp.RefundProvider.RefundCall;
import com.streamsocial.billing.processor.psp.RefundProvider.RefundResult;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RefundAnswerTest {
    private static final RefundCall CALL = new RefundCall(
            "re_1", "pay_1", "t", 250, "USD", "ch_1", null, io.opentelemetry.api.trace.SpanContext.getInvalid());

    private static RefundAnswer.Decision stripe(int status, String body) {
        return RefundAnswer.stripe(CALL, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static RefundAnswer.Decision paypal(int status, String body) {
        return RefundAnswer.paypal(CALL, "2.50", status, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void stripeRefundsSucceedFailOrAreAskedAgain() {
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"succeeded\"}"))
                .isEqualTo(new Decided(new RefundResult("re_1", true, "re_x", null)));
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"failed\"}"))
                .isEqualTo(new Decided(new RefundResult("re_1", false, "re_x", "refund_failed")));
        // another amount than asked: nothing is decided
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":251,\"status\":\"succeeded\"}"))
                .isInstanceOf(Retry.class);
        // made and still pending: recorded with the provider's refund id, never posted again
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"pending\"}"))
                .isEqualTo(new Decided(RefundResult.pending("re_1", "re_x", "pending")));
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"requires_action\"}"))
                .isEqualTo(new Decided(RefundResult.pending("re_1", "re_x", "requires_action")));
        assertThat(stripe(200, "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"weird\"}"))
                .isInstanceOf(Retry.class);
        assertThat(stripe(400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"charge_already_refunded\"}}"))
                .isEqualTo(new Decided(new RefundResult("re_1", false, null, "charge_already_refunded")));
        assertThat(stripe(400, "{\"error\":{\"code\":\"amount_too_large\"}}"))
                .isEqualTo(new Decided(new RefundResult("re_1", false, null, "amount_too_large")));
        assertThat(((Retry) stripe(400, "{\"error\":{\"code\":\"idempotency_error\"}}")).configuration())
                .isTrue();
        assertThat(((Retry) stripe(401, "{}")).configuration()).isTrue();
        assertThat(((Retry) stripe(503, "{}")).configuration()).isFalse();
    }

    @Test
    void paypalRefundsSucceedFailOrAreAskedAgain() {
        String completed =
                "{\"id\":\"REF1\",\"status\":\"COMPLETED\",\"amount\":{\"value\":\"2.50\",\"currency_code\":\"USD\"}}";
        assertThat(paypal(201, completed)).isEqualTo(new Decided(new RefundResult("re_1", true, "REF1", null)));
        assertThat(paypal(201, completed.replace("2.50", "2.51"))).isInstanceOf(Retry.class);
        assertThat(paypal(201, completed.replace("COMPLETED", "PENDING")))
                .isEqualTo(new Decided(RefundResult.pending("re_1", "REF1", "PENDING")));
        assertThat(paypal(201, completed.replace("COMPLETED", "ODD"))).isInstanceOf(Retry.class);
        assertThat(paypal(
                        422,
                        "{\"name\":\"UNPROCESSABLE_ENTITY\",\"details\":[{\"issue\":\"CAPTURE_FULLY_REFUNDED\"}]}"))
                .isEqualTo(new Decided(new RefundResult("re_1", false, null, "CAPTURE_FULLY_REFUNDED")));
        assertThat(paypal(422, "{\"details\":[{\"issue\":\"REFUND_AMOUNT_EXCEEDED\"}]}"))
                .isEqualTo(new Decided(new RefundResult("re_1", false, null, "REFUND_AMOUNT_EXCEEDED")));
        // a concurrent request under the same PayPal-Request-Id decides nothing
        assertThat(paypal(422, "{\"details\":[{\"issue\":\"PREVIOUS_REQUEST_IN_PROGRESS\"}]}"))
                .isInstanceOf(Retry.class);
        assertThat(((Retry) paypal(401, "{}")).tokenRejected()).isTrue();
    }

    @Test
    void anyBytesDecideOrRetryNeverThrow() {
        Random rnd = new Random(2107);
        int[] statuses = {200, 201, 400, 402, 422, 500};
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            int status = statuses[rnd.nextInt(statuses.length)];
            assertThat(RefundAnswer.stripe(CALL, status, b)).isNotNull();
            assertThat(RefundAnswer.paypal(CALL, "2.50", status, b)).isNotNull();
        }
        assertThat(RefundAnswer.stripe(CALL, 200, null)).isInstanceOf(Retry.class);
        assertThat(RefundAnswer.paypal(CALL, "2.50", 201, new byte[70_000])).isInstanceOf(Retry.class);
    }

    @Test
    void aLookupDecidesOnlyAnAnswerAboutTheRefundAskedFor() {
        String stripe = "{\"id\":\"re_x\",\"object\":\"refund\",\"amount\":250,\"status\":\"succeeded\"}";
        assertThat(RefundAnswer.stripeLookup(CALL, "re_x", 200, stripe.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Decided(new RefundResult("re_1", true, "re_x", null)));
        assertThat(RefundAnswer.stripeLookup(
                        CALL,
                        "re_x",
                        200,
                        stripe.replace("succeeded", "pending").getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Decided(RefundResult.pending("re_1", "re_x", "pending")));
        assertThat(RefundAnswer.stripeLookup(
                        CALL, "re_x", 200, stripe.replace("succeeded", "failed").getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Decided(new RefundResult("re_1", false, "re_x", "refund_failed")));
        // another refund's answer, a refusal's shape or a 404 decide nothing
        assertThat(RefundAnswer.stripeLookup(CALL, "re_y", 200, stripe.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Retry.class);
        assertThat(RefundAnswer.stripeLookup(
                        CALL,
                        "re_x",
                        400,
                        "{\"error\":{\"code\":\"charge_already_refunded\"}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Retry.class);
        assertThat(((Retry) RefundAnswer.stripeLookup(CALL, "re_x", 404, "{}".getBytes(StandardCharsets.UTF_8)))
                        .configuration())
                .isTrue();
        String paypal =
                "{\"id\":\"REF1\",\"status\":\"FAILED\",\"amount\":{\"value\":\"2.50\",\"currency_code\":\"USD\"}}";
        assertThat(RefundAnswer.paypalLookup(CALL, "2.50", "REF1", 200, paypal.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Decided(new RefundResult("re_1", false, "REF1", "REFUND_FAILED")));
        assertThat(RefundAnswer.paypalLookup(CALL, "2.50", "REF2", 200, paypal.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Retry.class);
        assertThat(RefundAnswer.paypalLookup(CALL, "2.50", "REF1", 201, paypal.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Retry.class);
    }

    @Test
    void anyBytesToALookupDecideOrRetryNeverThrow() {
        Random rnd = new Random(2121);
        int[] statuses = {200, 201, 404, 500};
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            int status = statuses[rnd.nextInt(statuses.length)];
            assertThat(RefundAnswer.stripeLookup(CALL, "re_x", status, b)).isNotNull();
            assertThat(RefundAnswer.paypalLookup(CALL, "2.50", "REF1", status, b))
                    .isNotNull();
        }
        assertThat(RefundAnswer.paypalLookup(CALL, "2.50", "REF1", 200, null)).isInstanceOf(Retry.class);
    }
}
