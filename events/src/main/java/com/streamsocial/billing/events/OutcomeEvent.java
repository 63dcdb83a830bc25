package com.streamsocial.billing.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** The final outcome of one payment, as published once on {@link Topics#RESULTS}. */
public record OutcomeEvent(
        String paymentId,
        String tenant,
        String idempotencyKey,
        PaymentStatus status,
        long amount,
        String currency,
        String failureCode,
        String providerRef,
        long decidedAtMs) {

    public static final String TYPE = "payment.outcome";

    public OutcomeEvent {
        Check.argument(status.isFinal(), "an outcome needs a final status, got %s", status);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("type", TYPE)
                .put("payment_id", paymentId)
                .put("tenant", tenant)
                .put("idempotency_key", idempotencyKey)
                .put("status", status.wire())
                .put("amount", amount)
                .put("currency", currency)
                .put("failure_code", failureCode)
                .put("provider_ref", providerRef)
                .put("decided_at_ms", decidedAtMs);
    }

    public byte[] toBytes() {
        return toJson().toBuffer().getBytes();
    }

    public static OutcomeEvent parse(byte[] value) {
        JsonObject json = new JsonObject(Buffer.buffer(value));
        return new OutcomeEvent(
                json.getString("payment_id"),
                json.getString("tenant"),
                json.getString("idempotency_key"),
                PaymentStatus.fromWire(json.getString("status")),
                json.getLong("amount"),
                json.getString("currency"),
                json.getString("failure_code"),
                json.getString("provider_ref"),
                json.getLong("decided_at_ms"));
    }
}
