package com.streamsocial.billing.processor.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.webhook.ProviderEvent.RefundStatus;
import com.streamsocial.billing.processor.webhook.WebhookDecoder.Decoded;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WebhookDecoderTest {
    private static Decoded stripe(String type, String object) {
        String body = "{\"id\":\"evt_1\",\"type\":\"" + type + "\",\"data\":{\"object\":" + object + "}}";
        return WebhookDecoder.decode("stripe", type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static Decoded paypal(String type, String resource) {
        String body = "{\"id\":\"WH-1\",\"event_type\":\"" + type + "\",\"resource\":" + resource + "}";
        return WebhookDecoder.decode("paypal", type, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStripeIntentSucceededNamesOurPaymentAndTheChargeAsItsReference() {
        Decoded d = stripe(
                "payment_intent.succeeded",
                "{\"id\":\"pi_1\",\"latest_charge\":\"ch_1\",\"metadata\":{\"payment_id\":\"pay_1\"}}");
        ProviderEvent.PaymentDecided e = (ProviderEvent.PaymentDecided) d.event();
        assertThat(e.succeeded()).isTrue();
        assertThat(e.providerRef()).isEqualTo("ch_1");
        assertThat(e.payment().paymentId()).isEqualTo("pay_1");
        assertThat(e.payment().providerIds()).containsExactly("pi_1", "ch_1");
    }

    @Test
    void aStripePaymentFailureCarriesItsDeclineCode() {
        Decoded d = stripe(
                "payment_intent.payment_failed",
                "{\"id\":\"pi_1\",\"last_payment_error\":{\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\"}}");
        ProviderEvent.PaymentDecided e = (ProviderEvent.PaymentDecided) d.event();
        assertThat(e.succeeded()).isFalse();
        assertThat(e.failureCode()).isEqualTo("insufficient_funds");
        assertThat(e.payment().paymentId()).isNull();
    }

    @Test
    void stripeRefundsFromARefundEventAndFromAChargesList() {
        ProviderEvent.RefundsSeen one = (ProviderEvent.RefundsSeen) stripe(
                        "refund.created",
                        "{\"id\":\"re_1\",\"amount\":300,\"currency\":\"usd\",\"status\":\"succeeded\",\"charge\":\"ch_1\"}")
                .event();
        assertThat(one.refunds()).containsExactly(new ProviderEvent.Refund("re_1", 300, "USD", RefundStatus.SUCCEEDED));
        assertThat(one.payment().providerIds()).containsExactly("ch_1");
        ProviderEvent.RefundsSeen list = (ProviderEvent.RefundsSeen) stripe(
                        "charge.refunded",
                        "{\"id\":\"ch_1\",\"refunds\":{\"data\":[{\"id\":\"re_1\",\"amount\":300,\"currency\":\"usd\","
                                + "\"status\":\"succeeded\"},{\"id\":\"re_2\",\"amount\":5,\"currency\":\"usd\","
                                + "\"status\":\"pending\"}]}}")
                .event();
        assertThat(list.refunds())
                .extracting(ProviderEvent.Refund::status)
                .containsExactly(RefundStatus.SUCCEEDED, RefundStatus.PENDING);
        assertThat(stripe("charge.refunded", "{\"id\":\"ch_1\"}").ignored())
                .as("without the list, each refund comes as refund.created")
                .isTrue();
    }

    @Test
    void disputesOfBothProvidersAndWhenTheyAreClosed() {
        ProviderEvent.Dispute s = (ProviderEvent.Dispute) stripe(
                        "charge.dispute.closed",
                        "{\"id\":\"dp_1\",\"amount\":1000,\"currency\":\"usd\",\"reason\":\"fraudulent\",\"status\":\"lost\","
                                + "\"charge\":\"ch_1\"}")
                .event();
        assertThat(s.closed()).isTrue();
        assertThat(s.status()).isEqualTo("lost");
        ProviderEvent.Dispute open = (ProviderEvent.Dispute) stripe(
                        "charge.dispute.created",
                        "{\"id\":\"dp_1\",\"amount\":1000,\"currency\":\"usd\",\"status\":\"needs_response\"}")
                .event();
        assertThat(open.closed()).isFalse();
        ProviderEvent.Dispute p = (ProviderEvent.Dispute) paypal(
                        "CUSTOMER.DISPUTE.CREATED",
                        "{\"dispute_id\":\"PP-D-1\",\"reason\":\"MERCHANDISE_OR_SERVICE_NOT_RECEIVED\",\"status\":\"OPEN\","
                                + "\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"10.50\"},"
                                + "\"disputed_transactions\":[{\"seller_transaction_id\":\"CAP-1\",\"custom\":\"pay_1\"}]}")
                .event();
        assertThat(p.amountMinor()).isEqualTo(1050);
        assertThat(p.payment().paymentId()).isEqualTo("pay_1");
        assertThat(p.payment().providerIds()).containsExactly("CAP-1");
        assertThat(p.closed()).isFalse();
    }

    @Test
    void payPalCapturesAndRefunds() {
        ProviderEvent.PaymentDecided denied = (ProviderEvent.PaymentDecided)
                paypal("PAYMENT.CAPTURE.DENIED", "{\"id\":\"CAP-1\",\"custom_id\":\"pay_1\"}")
                        .event();
        assertThat(denied.succeeded()).isFalse();
        assertThat(denied.failureCode()).isEqualTo("capture_denied");
        ProviderEvent.RefundsSeen r = (ProviderEvent.RefundsSeen) paypal(
                        "PAYMENT.CAPTURE.REFUNDED",
                        "{\"id\":\"REF-1\",\"status\":\"COMPLETED\",\"amount\":{\"value\":\"3.00\",\"currency_code\":\"USD\"},"
                                + "\"links\":[{\"rel\":\"up\",\"href\":\"https://api.paypal.com/v2/payments/captures/CAP-1\"}]}")
                .event();
        assertThat(r.refunds()).containsExactly(new ProviderEvent.Refund("REF-1", 300, "USD", RefundStatus.SUCCEEDED));
        assertThat(r.payment().providerIds()).containsExactly("CAP-1");
    }

    @Test
    void malformedEventsAreTypedErrorsAndOtherTypesAreIgnored() {
        assertThat(stripe("refund.created", "{\"id\":\"re_1\",\"amount\":\"300\",\"currency\":\"usd\"}")
                        .error())
                .contains("refund");
        assertThat(stripe("refund.created", "{\"id\":\"re_1\",\"amount\":-3,\"currency\":\"usd\"}")
                        .error())
                .isNotNull();
        assertThat(stripe(
                                "charge.dispute.created",
                                "{\"id\":\"dp_1\",\"amount\":1,\"currency\":\"xxx\",\"status\":\"x\"}")
                        .error())
                .isNotNull();
        assertThat(stripe("payment_intent.succeeded", "{}").error()).contains("data.object.id");
        assertThat(stripe("customer.created", "{\"id\":\"cus_1\"}").ignored()).isTrue();
        assertThat(WebhookDecoder.decode("stripe", "x", "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8))
                        .error())
                .as("a duplicate key")
                .isNotNull();
        assertThat(WebhookDecoder.decode("other", "x", "{}".getBytes(StandardCharsets.UTF_8))
                        .error())
                .isNotNull();
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        assertThat(WebhookDecoder.decode("stripe", "x", ("{\"a\":" + deep + "}").getBytes(StandardCharsets.UTF_8))
                        .error())
                .isNotNull();
    }

    /** Total: 20,000 seeded random and mutated bodies each give an event, ignored or an error, never a throw. */
    @Test
    void anyBodyDecodesToAValueOrATypedError() {
        Random random = new Random(21);
        String[] types = {
            "payment_intent.succeeded",
            "charge.refunded",
            "refund.created",
            "charge.dispute.closed",
            "PAYMENT.CAPTURE.REFUNDED",
            "CUSTOMER.DISPUTE.CREATED",
            "PAYMENT.CAPTURE.COMPLETED"
        };
        byte[] seed =
                ("{\"id\":\"evt_1\",\"type\":\"refund.created\",\"data\":{\"object\":{\"id\":\"re_1\",\"amount\":300,"
                                + "\"currency\":\"usd\",\"status\":\"succeeded\",\"charge\":\"ch_1\",\"refunds\":{\"data\":[]}}},"
                                + "\"resource\":{\"id\":\"R\",\"dispute_id\":\"D\",\"amount\":{\"value\":\"1.00\",\"currency_code\":\"USD\"}}}")
                        .getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20_000; i++) {
            byte[] body = seed.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                body[random.nextInt(body.length)] = (byte) random.nextInt(256);
            }
            String provider = random.nextBoolean() ? "stripe" : "paypal";
            Decoded d = WebhookDecoder.decode(provider, types[random.nextInt(types.length)], body);
            int kinds = (d.event() != null ? 1 : 0) + (d.ignored() ? 1 : 0) + (d.error() != null ? 1 : 0);
            assertThat(kinds).as("exactly one of event, ignored, error").isEqualTo(1);
        }
    }
}
