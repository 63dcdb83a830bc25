package com.streamsocial.billing.processor.webhook;

import com.streamsocial.billing.events.Currencies;
import com.streamsocial.billing.events.DecimalAmounts;
import com.streamsocial.billing.processor.webhook.ProviderEvent.PaymentRef;
import com.streamsocial.billing.processor.webhook.ProviderEvent.Refund;
import com.streamsocial.billing.processor.webhook.ProviderEvent.RefundStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decodes the body of a verified Stripe or PayPal event into a {@link ProviderEvent}. Pure and total:
 * every body gives an event, {@link Decoded#ignored} (a type not applied) or a {@link Decoded#error}
 * naming the field, never an exception. Only the fields the pipeline acts on are read.
 */
public final class WebhookDecoder {
    /** Refunds read from one Stripe charge's {@code refunds.data}, at most (Stripe pages them by 10). */
    static final int REFUNDS_PER_EVENT_MAX = 100;

    /** An event, a type not applied ({@code ignored}), or why the body is malformed. */
    public record Decoded(ProviderEvent event, boolean ignored, String error) {
        static Decoded of(ProviderEvent e) {
            return new Decoded(e, false, null);
        }

        static Decoded malformed(String why) {
            return new Decoded(null, false, why);
        }

        static final Decoded IGNORED = new Decoded(null, true, null);
    }

    private WebhookDecoder() {}

    /** {@code provider} is {@code stripe} or {@code paypal}; {@code type} the event type the gateway read. */
    public static Decoded decode(String provider, String type, byte[] body) {
        Map<String, Object> root = JsonTree.parse(body);
        if (root == null) {
            return Decoded.malformed("body: not one JSON object");
        }
        if ("stripe".equals(provider)) {
            return stripe(type, JsonTree.map(JsonTree.map(root, "data"), "object"));
        }
        if ("paypal".equals(provider)) {
            return paypal(type, JsonTree.map(root, "resource"));
        }
        return Decoded.malformed("provider: unknown");
    }

    private static Decoded stripe(String type, Map<?, ?> o) {
        if (type == null) {
            return Decoded.malformed("type: missing");
        }
        return switch (type) {
            case "payment_intent.succeeded", "payment_intent.payment_failed" -> stripeIntent(type, o);
            case "charge.refunded" -> stripeCharge(o);
            case "refund.created", "refund.updated" -> stripeRefund(o);
            case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed" -> stripeDispute(type, o);
            default -> Decoded.IGNORED;
        };
    }

    private static Decoded stripeIntent(String type, Map<?, ?> o) {
        String id = JsonTree.text(o, "id");
        if (id == null) {
            return Decoded.malformed("data.object.id: missing");
        }
        String charge = JsonTree.text(o, "latest_charge");
        PaymentRef ref = ref(JsonTree.text(JsonTree.map(o, "metadata"), "payment_id"), id, charge);
        if (type.equals("payment_intent.succeeded")) {
            // As the Stripe adapter records a success: the charge, else the intent.
            return Decoded.of(new ProviderEvent.PaymentDecided(ref, true, charge != null ? charge : id, null));
        }
        Map<?, ?> error = JsonTree.map(o, "last_payment_error");
        String code = JsonTree.text(error, "decline_code");
        code = code != null ? code : JsonTree.text(error, "code");
        return Decoded.of(new ProviderEvent.PaymentDecided(ref, false, id, code != null ? code : "payment_failed"));
    }

    private static Decoded stripeCharge(Map<?, ?> o) {
        String id = JsonTree.text(o, "id");
        if (id == null) {
            return Decoded.malformed("data.object.id: missing");
        }
        PaymentRef ref =
                ref(JsonTree.text(JsonTree.map(o, "metadata"), "payment_id"), id, JsonTree.text(o, "payment_intent"));
        List<?> data = JsonTree.list(JsonTree.map(o, "refunds"), "data");
        if (data.size() > REFUNDS_PER_EVENT_MAX) {
            return Decoded.malformed("data.object.refunds.data: over " + REFUNDS_PER_EVENT_MAX);
        }
        List<Refund> refunds = new ArrayList<>();
        for (Object r : data) {
            Refund refund = r instanceof Map<?, ?> m ? stripeRefundObject(m) : null;
            if (refund == null) {
                return Decoded.malformed("data.object.refunds.data: a refund without id, amount or currency");
            }
            refunds.add(refund);
        }
        // Without the list (Stripe leaves it out since API 2022-11-15), each refund comes as refund.created.
        return refunds.isEmpty() ? Decoded.IGNORED : Decoded.of(new ProviderEvent.RefundsSeen(ref, refunds));
    }

    private static Decoded stripeRefund(Map<?, ?> o) {
        Refund refund = stripeRefundObject(o);
        if (refund == null) {
            return Decoded.malformed("data.object: a refund needs id, amount and currency");
        }
        PaymentRef ref = ref(
                JsonTree.text(JsonTree.map(o, "metadata"), "payment_id"),
                JsonTree.text(o, "charge"),
                JsonTree.text(o, "payment_intent"));
        return Decoded.of(new ProviderEvent.RefundsSeen(ref, List.of(refund)));
    }

    private static Refund stripeRefundObject(Map<?, ?> o) {
        String id = JsonTree.text(o, "id");
        Long amount = JsonTree.integer(o, "amount");
        String currency = currency(JsonTree.text(o, "currency"));
        if (id == null || amount == null || amount <= 0 || currency == null) {
            return null;
        }
        String status = JsonTree.text(o, "status");
        RefundStatus s = "succeeded".equals(status)
                ? RefundStatus.SUCCEEDED
                : "failed".equals(status) || "canceled".equals(status) ? RefundStatus.FAILED : RefundStatus.PENDING;
        return new Refund(id, amount, currency, s);
    }

    private static Decoded stripeDispute(String type, Map<?, ?> o) {
        String id = JsonTree.text(o, "id");
        Long amount = JsonTree.integer(o, "amount");
        String currency = currency(JsonTree.text(o, "currency"));
        String status = JsonTree.text(o, "status");
        if (id == null || amount == null || amount < 0 || currency == null || status == null) {
            return Decoded.malformed("data.object: a dispute needs id, amount, currency and status");
        }
        PaymentRef ref = ref(
                JsonTree.text(JsonTree.map(o, "metadata"), "payment_id"),
                JsonTree.text(o, "charge"),
                JsonTree.text(o, "payment_intent"));
        boolean closed = type.equals("charge.dispute.closed")
                || status.equals("won")
                || status.equals("lost")
                || status.equals("warning_closed");
        return Decoded.of(
                new ProviderEvent.Dispute(ref, id, amount, currency, JsonTree.text(o, "reason"), status, closed));
    }

    private static Decoded paypal(String type, Map<?, ?> r) {
        if (type == null) {
            return Decoded.malformed("event_type: missing");
        }
        return switch (type) {
            case "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED" -> paypalCapture(type, r);
            case "PAYMENT.CAPTURE.REFUNDED" -> paypalRefund(r);
            case "CUSTOMER.DISPUTE.CREATED", "CUSTOMER.DISPUTE.UPDATED", "CUSTOMER.DISPUTE.RESOLVED" ->
                paypalDispute(type, r);
            default -> Decoded.IGNORED;
        };
    }

    private static Decoded paypalCapture(String type, Map<?, ?> r) {
        String id = JsonTree.text(r, "id");
        if (id == null) {
            return Decoded.malformed("resource.id: missing");
        }
        PaymentRef ref = ref(JsonTree.text(r, "custom_id"), id, null);
        boolean ok = type.equals("PAYMENT.CAPTURE.COMPLETED");
        return Decoded.of(new ProviderEvent.PaymentDecided(ref, ok, id, ok ? null : "capture_denied"));
    }

    private static Decoded paypalRefund(Map<?, ?> r) {
        String id = JsonTree.text(r, "id");
        Map<?, ?> amount = JsonTree.map(r, "amount");
        String currency = currency(JsonTree.text(amount, "currency_code"));
        Long minor = currency == null ? null : minor(JsonTree.text(amount, "value"), currency);
        if (id == null || minor == null || minor <= 0) {
            return Decoded.malformed("resource: a refund needs id and amount {value, currency_code}");
        }
        String status = JsonTree.text(r, "status");
        RefundStatus s = "COMPLETED".equals(status)
                ? RefundStatus.SUCCEEDED
                : "FAILED".equals(status) || "CANCELLED".equals(status) ? RefundStatus.FAILED : RefundStatus.PENDING;
        // The refund's custom_id is not a payment id: the PayPal adapter sets it to our refund id. The
        // payment is the capture's, named by the refund's up link.
        return Decoded.of(new ProviderEvent.RefundsSeen(
                ref(null, upCapture(r), null), List.of(new Refund(id, minor, currency, s))));
    }

    /** The capture a PayPal refund belongs to: its {@code links} entry of rel {@code up}. */
    private static String upCapture(Map<?, ?> r) {
        for (Object l : JsonTree.list(r, "links")) {
            if (l instanceof Map<?, ?> link && "up".equals(link.get("rel")) && link.get("href") instanceof String h) {
                int slash = h.lastIndexOf('/');
                return slash >= 0 && slash < h.length() - 1 ? h.substring(slash + 1) : null;
            }
        }
        return null;
    }

    private static Decoded paypalDispute(String type, Map<?, ?> r) {
        String id = JsonTree.text(r, "dispute_id");
        String status = JsonTree.text(r, "status");
        Map<?, ?> amount = JsonTree.map(r, "dispute_amount");
        String currency = currency(JsonTree.text(amount, "currency_code"));
        Long minor = currency == null ? null : minor(JsonTree.text(amount, "value"), currency);
        if (id == null || status == null || minor == null || minor < 0) {
            return Decoded.malformed("resource: a dispute needs dispute_id, status and dispute_amount");
        }
        List<?> txs = JsonTree.list(r, "disputed_transactions");
        Map<?, ?> tx = !txs.isEmpty() && txs.get(0) instanceof Map<?, ?> m ? m : Map.of();
        PaymentRef ref = ref(JsonTree.text(tx, "custom"), JsonTree.text(tx, "seller_transaction_id"), null);
        boolean closed = type.equals("CUSTOMER.DISPUTE.RESOLVED") || status.equals("RESOLVED");
        // A resolved dispute's status says only that; its outcome says who won (RESOLVED_SELLER_FAVOUR).
        String outcome = closed ? JsonTree.text(JsonTree.map(r, "dispute_outcome"), "outcome_code") : null;
        String shown = outcome != null ? outcome : status;
        return Decoded.of(new ProviderEvent.Dispute(
                ref, id, minor, currency, JsonTree.text(r, "reason"), shown.toLowerCase(Locale.ROOT), closed));
    }

    private static PaymentRef ref(String paymentId, String a, String b) {
        List<String> ids = new ArrayList<>(2);
        if (a != null) {
            ids.add(a);
        }
        if (b != null) {
            ids.add(b);
        }
        return new PaymentRef(paymentId, ids);
    }

    /** An active currency, upper-cased (Stripe writes them lower-case), or null. */
    private static String currency(String c) {
        if (c == null) {
            return null;
        }
        String up = c.toUpperCase(Locale.ROOT);
        return Currencies.isActive(up) ? up : null;
    }

    private static Long minor(String decimal, String currency) {
        return DecimalAmounts.toMinor(decimal, currency) instanceof DecimalAmounts.Converted<Long> c ? c.value() : null;
    }
}
