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

    @Test
    void aStripeSuccessWithoutAChargeNamesTheIntentAndAFailureFallsBackOnItsCodes() {
        ProviderEvent.PaymentDecided ok = (ProviderEvent.PaymentDecided)
                stripe("payment_intent.succeeded", "{\"id\":\"pi_1\"}").event();
        assertThat(ok.providerRef()).isEqualTo("pi_1");
        assertThat(ok.failureCode()).isNull();
        assertThat(ok.payment().providerIds()).containsExactly("pi_1");
        ProviderEvent.PaymentDecided coded = (ProviderEvent.PaymentDecided) stripe(
                        "payment_intent.payment_failed",
                        "{\"id\":\"pi_1\",\"last_payment_error\":{\"code\":\"card_declined\"}}")
                .event();
        assertThat(coded.failureCode()).isEqualTo("card_declined");
        assertThat(coded.providerRef()).isEqualTo("pi_1");
        ProviderEvent.PaymentDecided bare = (ProviderEvent.PaymentDecided)
                stripe("payment_intent.payment_failed", "{\"id\":\"pi_1\",\"latest_charge\":\"ch_1\"}")
                        .event();
        assertThat(bare.failureCode()).isEqualTo("payment_failed");
        assertThat(bare.succeeded()).isFalse();
        assertThat(bare.providerRef()).as("a failure keeps the intent").isEqualTo("pi_1");
        assertThat(stripe("payment_intent.payment_failed", "{}").error()).contains("data.object.id");
    }

    @Test
    void stripeRefundStatesAndWhatARefundObjectNeeds() {
        assertThat(stripeRefundStatus("succeeded")).isEqualTo(RefundStatus.SUCCEEDED);
        assertThat(stripeRefundStatus("failed")).isEqualTo(RefundStatus.FAILED);
        assertThat(stripeRefundStatus("canceled")).isEqualTo(RefundStatus.FAILED);
        assertThat(stripeRefundStatus("pending")).isEqualTo(RefundStatus.PENDING);
        assertThat(stripeRefundStatus("requires_action")).isEqualTo(RefundStatus.PENDING);
        for (String object : new String[] {
            "{\"amount\":300,\"currency\":\"usd\"}",
            "{\"id\":\"re_1\",\"currency\":\"usd\"}",
            "{\"id\":\"re_1\",\"amount\":0,\"currency\":\"usd\"}",
            "{\"id\":\"re_1\",\"amount\":300}",
            "{\"id\":\"re_1\",\"amount\":300,\"currency\":\"zzz\"}"
        }) {
            assertThat(stripe("refund.updated", object).error()).as(object).startsWith("data.object:");
        }
        ProviderEvent.RefundsSeen one = (ProviderEvent.RefundsSeen) stripe(
                        "refund.updated",
                        "{\"id\":\"re_1\",\"amount\":1,\"currency\":\"usd\",\"payment_intent\":\"pi_1\","
                                + "\"metadata\":{\"payment_id\":\"pay_1\"}}")
                .event();
        assertThat(one.refunds().get(0).amountMinor()).isEqualTo(1);
        assertThat(one.payment().paymentId()).isEqualTo("pay_1");
        assertThat(one.payment().providerIds()).containsExactly("pi_1");
        ProviderEvent.RefundsSeen both = (ProviderEvent.RefundsSeen) stripe(
                        "refund.created",
                        "{\"id\":\"re_1\",\"amount\":1,\"currency\":\"usd\",\"charge\":\"ch_1\",\"payment_intent\":\"pi_1\"}")
                .event();
        assertThat(both.payment().providerIds()).containsExactly("ch_1", "pi_1");
        assertThat(both.payment().paymentId()).isNull();
    }

    private static RefundStatus stripeRefundStatus(String status) {
        return ((ProviderEvent.RefundsSeen) stripe(
                                "refund.created",
                                "{\"id\":\"re_1\",\"amount\":300,\"currency\":\"usd\",\"status\":\"" + status + "\"}")
                        .event())
                .refunds()
                .get(0)
                .status();
    }

    @Test
    void aStripeChargesRefundListIsBoundedAndEachRefundWhole() {
        ProviderEvent.RefundsSeen seen = (ProviderEvent.RefundsSeen) stripe(
                        "charge.refunded",
                        "{\"id\":\"ch_1\",\"payment_intent\":\"pi_1\",\"metadata\":{\"payment_id\":\"pay_1\"},"
                                + "\"refunds\":{\"data\":" + refunds(WebhookDecoder.REFUNDS_PER_EVENT_MAX) + "}}")
                .event();
        assertThat(seen.refunds()).hasSize(WebhookDecoder.REFUNDS_PER_EVENT_MAX);
        assertThat(seen.payment().paymentId()).isEqualTo("pay_1");
        assertThat(seen.payment().providerIds()).containsExactly("ch_1", "pi_1");
        assertThat(stripe(
                                "charge.refunded",
                                "{\"id\":\"ch_1\",\"refunds\":{\"data\":"
                                        + refunds(WebhookDecoder.REFUNDS_PER_EVENT_MAX + 1) + "}}")
                        .error())
                .contains("over " + WebhookDecoder.REFUNDS_PER_EVENT_MAX);
        assertThat(stripe("charge.refunded", "{\"id\":\"ch_1\",\"refunds\":{\"data\":[{\"id\":\"re_1\"}]}}")
                        .error())
                .contains("refunds.data");
        assertThat(stripe("charge.refunded", "{\"id\":\"ch_1\",\"refunds\":{\"data\":[\"re_1\"]}}")
                        .error())
                .contains("refunds.data");
        assertThat(stripe("charge.refunded", "{\"refunds\":{\"data\":[]}}").error())
                .contains("data.object.id");
    }

    private static String refunds(int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"re_")
                    .append(i)
                    .append("\",\"amount\":1,\"currency\":\"usd\",\"status\":\"succeeded\"}");
        }
        return b.append("]").toString();
    }

    @Test
    void aStripeDisputeIsClosedByItsCloseOrAFinalStatus() {
        for (String status : new String[] {"won", "lost", "warning_closed"}) {
            assertThat(stripeDispute("charge.dispute.updated", status).closed())
                    .as(status)
                    .isTrue();
        }
        ProviderEvent.Dispute open = stripeDispute("charge.dispute.updated", "under_review");
        assertThat(open.closed()).isFalse();
        assertThat(open.amountMinor()).isZero();
        assertThat(open.currency()).isEqualTo("EUR");
        assertThat(open.reason()).isNull();
        assertThat(open.disputeId()).isEqualTo("dp_1");
        assertThat(open.payment().paymentId()).isEqualTo("pay_1");
        assertThat(open.payment().providerIds()).containsExactly("ch_1", "pi_1");
        assertThat(stripeDispute("charge.dispute.closed", "needs_response").closed())
                .isTrue();
        for (String object : new String[] {
            "{\"amount\":1,\"currency\":\"usd\",\"status\":\"x\"}",
            "{\"id\":\"dp_1\",\"currency\":\"usd\",\"status\":\"x\"}",
            "{\"id\":\"dp_1\",\"amount\":-1,\"currency\":\"usd\",\"status\":\"x\"}",
            "{\"id\":\"dp_1\",\"amount\":1,\"status\":\"x\"}",
            "{\"id\":\"dp_1\",\"amount\":1,\"currency\":\"usd\"}"
        }) {
            assertThat(stripe("charge.dispute.created", object).error())
                    .as(object)
                    .startsWith("data.object:");
        }
    }

    private static ProviderEvent.Dispute stripeDispute(String type, String status) {
        return (ProviderEvent.Dispute) stripe(
                        type,
                        "{\"id\":\"dp_1\",\"amount\":0,\"currency\":\"eur\",\"status\":\"" + status
                                + "\",\"charge\":\"ch_1\",\"payment_intent\":\"pi_1\",\"metadata\":{\"payment_id\":\"pay_1\"}}")
                .event();
    }

    @Test
    void aPayPalCaptureCompletedDecidesTheCustomIdsPayment() {
        ProviderEvent.PaymentDecided ok = (ProviderEvent.PaymentDecided)
                paypal("PAYMENT.CAPTURE.COMPLETED", "{\"id\":\"CAP-1\",\"custom_id\":\"pay_1\"}")
                        .event();
        assertThat(ok.succeeded()).isTrue();
        assertThat(ok.failureCode()).isNull();
        assertThat(ok.providerRef()).isEqualTo("CAP-1");
        assertThat(ok.payment().paymentId()).isEqualTo("pay_1");
        assertThat(ok.payment().providerIds()).containsExactly("CAP-1");
        assertThat(paypal("PAYMENT.CAPTURE.COMPLETED", "{\"custom_id\":\"pay_1\"}")
                        .error())
                .contains("resource.id");
        assertThat(paypal("PAYMENT.CAPTURE.PENDING", "{\"id\":\"CAP-1\"}").ignored())
                .isTrue();
        assertThat(WebhookDecoder.decode("paypal", null, "{}".getBytes(StandardCharsets.UTF_8))
                        .error())
                .contains("event_type");
        assertThat(WebhookDecoder.decode("stripe", null, "{}".getBytes(StandardCharsets.UTF_8))
                        .error())
                .contains("type");
        assertThat(WebhookDecoder.decode("stripe", "x", null).error()).contains("body");
        assertThat(WebhookDecoder.decode("stripe", "x", "[]".getBytes(StandardCharsets.UTF_8))
                        .error())
                .contains("body");
    }

    /** The refund's custom_id is our refund id (the PayPal adapter's), never taken for a payment id. */
    @Test
    void aPayPalRefundIsAboutTheCaptureItsUpLinkNames() {
        ProviderEvent.RefundsSeen r = (ProviderEvent.RefundsSeen) paypal(
                        "PAYMENT.CAPTURE.REFUNDED",
                        "{\"id\":\"REF-1\",\"custom_id\":\"rfd_1\",\"status\":\"PENDING\","
                                + "\"amount\":{\"value\":\"1000\",\"currency_code\":\"JPY\"},"
                                + "\"links\":[{\"rel\":\"self\",\"href\":\"https://x/v2/payments/refunds/REF-1\"},"
                                + "{\"rel\":\"up\",\"href\":\"https://x/v2/payments/captures/CAP-9\"}]}")
                .event();
        assertThat(r.payment().paymentId()).isNull();
        assertThat(r.payment().providerIds()).containsExactly("CAP-9");
        assertThat(r.refunds()).containsExactly(new ProviderEvent.Refund("REF-1", 1000, "JPY", RefundStatus.PENDING));
        ProviderEvent.RefundsSeen relative = (ProviderEvent.RefundsSeen) paypal(
                        "PAYMENT.CAPTURE.REFUNDED",
                        "{\"id\":\"REF-1\",\"amount\":{\"value\":\"1.00\",\"currency_code\":\"USD\"},"
                                + "\"links\":[{\"rel\":\"up\",\"href\":\"/CAP-7\"}]}")
                .event();
        assertThat(relative.payment().providerIds()).as("a link from the root").containsExactly("CAP-7");
        assertThat(paypalRefundStatus("FAILED")).isEqualTo(RefundStatus.FAILED);
        assertThat(paypalRefundStatus("CANCELLED")).isEqualTo(RefundStatus.FAILED);
        assertThat(paypalRefundStatus("COMPLETED")).isEqualTo(RefundStatus.SUCCEEDED);
        assertThat(paypalRefundStatus("REFUNDED")).isEqualTo(RefundStatus.PENDING);
        // An up link without a capture id after its last slash, or none: no provider id to find it by.
        for (String links : new String[] {
            "[{\"rel\":\"up\",\"href\":\"https://x/v2/payments/captures/\"}]",
            "[{\"rel\":\"up\",\"href\":\"CAP-1\"}]",
            "[{\"rel\":\"up\"}]",
            "[\"up\"]",
            "[]"
        }) {
            ProviderEvent.RefundsSeen e = (ProviderEvent.RefundsSeen) paypal(
                            "PAYMENT.CAPTURE.REFUNDED",
                            "{\"id\":\"REF-1\",\"amount\":{\"value\":\"1.00\",\"currency_code\":\"USD\"},\"links\":"
                                    + links + "}")
                    .event();
            assertThat(e.payment().providerIds()).as(links).isEmpty();
        }
        for (String resource : new String[] {
            "{\"amount\":{\"value\":\"1.00\",\"currency_code\":\"USD\"}}",
            "{\"id\":\"REF-1\",\"amount\":{\"value\":\"1.00\"}}",
            "{\"id\":\"REF-1\",\"amount\":{\"value\":\"1.001\",\"currency_code\":\"USD\"}}",
            "{\"id\":\"REF-1\",\"amount\":{\"value\":\"0.00\",\"currency_code\":\"USD\"}}",
            "{\"id\":\"REF-1\",\"amount\":{\"currency_code\":\"USD\"}}"
        }) {
            assertThat(paypal("PAYMENT.CAPTURE.REFUNDED", resource).error())
                    .as(resource)
                    .startsWith("resource:");
        }
    }

    private static RefundStatus paypalRefundStatus(String status) {
        return ((ProviderEvent.RefundsSeen) paypal(
                                "PAYMENT.CAPTURE.REFUNDED",
                                "{\"id\":\"REF-1\",\"status\":\"" + status
                                        + "\",\"amount\":{\"value\":\"1.00\",\"currency_code\":\"USD\"}}")
                        .event())
                .refunds()
                .get(0)
                .status();
    }

    /** A resolved PayPal dispute shows its outcome (who won); an open one its status, lower-cased. */
    @Test
    void aPayPalDisputeIsClosedWhenResolvedAndShowsItsOutcome() {
        String body = "\"dispute_id\":\"PP-D-1\",\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"0\"},"
                + "\"dispute_outcome\":{\"outcome_code\":\"RESOLVED_BUYER_FAVOUR\"}";
        ProviderEvent.Dispute resolved =
                (ProviderEvent.Dispute) paypal("CUSTOMER.DISPUTE.UPDATED", "{" + body + ",\"status\":\"RESOLVED\"}")
                        .event();
        assertThat(resolved.closed()).isTrue();
        assertThat(resolved.status()).isEqualTo("resolved_buyer_favour");
        assertThat(resolved.amountMinor()).isZero();
        assertThat(resolved.payment().paymentId()).isNull();
        assertThat(resolved.payment().providerIds()).isEmpty();
        ProviderEvent.Dispute byType =
                (ProviderEvent.Dispute) paypal("CUSTOMER.DISPUTE.RESOLVED", "{" + body + ",\"status\":\"OTHER\"}")
                        .event();
        assertThat(byType.closed()).isTrue();
        ProviderEvent.Dispute noOutcome = (ProviderEvent.Dispute) paypal(
                        "CUSTOMER.DISPUTE.RESOLVED",
                        "{\"dispute_id\":\"PP-D-1\",\"status\":\"RESOLVED\","
                                + "\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"1.00\"}}")
                .event();
        assertThat(noOutcome.status()).isEqualTo("resolved");
        ProviderEvent.Dispute open =
                (ProviderEvent.Dispute) paypal("CUSTOMER.DISPUTE.UPDATED", "{" + body + ",\"status\":\"UNDER_REVIEW\"}")
                        .event();
        assertThat(open.closed()).isFalse();
        assertThat(open.status()).as("an outcome is read only once resolved").isEqualTo("under_review");
        for (String resource : new String[] {
            "{\"status\":\"OPEN\",\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"1.00\"}}",
            "{\"dispute_id\":\"D\",\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"1.00\"}}",
            "{\"dispute_id\":\"D\",\"status\":\"OPEN\",\"dispute_amount\":{\"value\":\"1.00\"}}",
            "{\"dispute_id\":\"D\",\"status\":\"OPEN\",\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"-1.00\"}}",
            "{\"dispute_id\":\"D\",\"status\":\"OPEN\"}"
        }) {
            assertThat(paypal("CUSTOMER.DISPUTE.CREATED", resource).error())
                    .as(resource)
                    .startsWith("resource:");
        }
        ProviderEvent.Dispute notAMap = (ProviderEvent.Dispute) paypal(
                        "CUSTOMER.DISPUTE.CREATED",
                        "{\"dispute_id\":\"D\",\"status\":\"OPEN\",\"disputed_transactions\":[\"CAP-1\"],"
                                + "\"dispute_amount\":{\"currency_code\":\"USD\",\"value\":\"1.00\"}}")
                .event();
        assertThat(notAMap.payment().providerIds()).isEmpty();
    }
}
