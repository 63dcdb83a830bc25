package com.streamsocial.billing.refund;

import com.streamsocial.billing.events.Topics;
import io.vertx.core.json.JsonObject;

/** The final outcome of one refund, published once on {@link Topics#REFUND_RESULTS}, keyed by payment id. */
public record RefundOutcomeEvent(
        String refundId,
        String paymentId,
        String tenant,
        RefundState status,
        long amountMinor,
        String currency,
        String failureCode,
        String providerRef,
        long decidedAtMs) {

    public static final String TYPE = "refund.outcome";

    public RefundOutcomeEvent {
        if (!status.isFinal()) {
            throw new IllegalArgumentException("an outcome needs a final status, got " + status);
        }
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("type", TYPE)
                .put("refund_id", refundId)
                .put("payment_id", paymentId)
                .put("tenant", tenant)
                .put("status", status.wire())
                .put("amount", amountMinor)
                .put("currency", currency)
                .put("failure_code", failureCode)
                .put("provider_ref", providerRef)
                .put("decided_at_ms", decidedAtMs);
    }

    public byte[] toBytes() {
        return toJson().toBuffer().getBytes();
    }
}
