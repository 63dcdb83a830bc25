package com.streamsocial.billing.gateway.refund;

import com.streamsocial.billing.refund.RefundState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One refund as clients see it, and a payment's refunds with their total: the JSON of {@code POST
 * /v1/payments/{id}/refunds}, {@code GET .../refunds/{refund_id}} and the {@code refunds} of {@code GET
 * /v1/payments/{id}}, in one place so that the three agree.
 */
public record RefundView(
        String refundId,
        String paymentId,
        long amountMinor,
        String currency,
        String reason,
        RefundState state,
        String failureCode) {

    public JsonObject json() {
        return new JsonObject()
                .put("id", refundId)
                .put("object", "refund")
                .put("payment_id", paymentId)
                .put("amount", amountMinor)
                .put("currency", currency)
                .put("reason", reason)
                .put("status", state.publicWire())
                .put("failure_code", failureCode);
    }

    /** What has been refunded: the succeeded refunds only (a pending one may still fail). */
    public static long refundedMinor(List<RefundView> refunds) {
        long sum = 0;
        for (RefundView r : refunds) {
            sum += r.state() == RefundState.SUCCEEDED ? r.amountMinor() : 0;
        }
        return sum;
    }

    /** Adds {@code refunds} and {@code amount_refunded} to a payment's JSON. */
    public static JsonObject addTo(JsonObject payment, List<RefundView> refunds) {
        JsonArray arr = new JsonArray();
        refunds.forEach(r -> arr.add(r.json()));
        return payment.put("amount_refunded", refundedMinor(refunds)).put("refunds", arr);
    }
}
