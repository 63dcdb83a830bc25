package com.streamsocial.billing.contract;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * An accepted payment intent as published on {@link Topics#BILLING}. JSON, so that kcat and other
 * standard tools can read the topic; keyed by {@link #paymentId()}.
 */
public record PaymentEvent(
        String paymentId,
        String tenant,
        String idempotencyKey,
        String requestHash,
        long amount,
        String currency,
        String customerId,
        String paymentMethod,
        String description,
        Map<String, String> metadata,
        long acceptedAtMs) {

    public static final String TYPE = "payment.accepted";

    public PaymentEvent {
        metadata = Map.copyOf(metadata);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("type", TYPE)
                .put("payment_id", paymentId)
                .put("tenant", tenant)
                .put("idempotency_key", idempotencyKey)
                .put("request_hash", requestHash)
                .put("amount", amount)
                .put("currency", currency)
                .put("customer_id", customerId)
                .put("payment_method", paymentMethod)
                .put("description", description)
                .put("metadata", new JsonObject(new TreeMap<>(metadata)))
                .put("accepted_at_ms", acceptedAtMs);
    }

    public byte[] toBytes() {
        return toJson().toBuffer().getBytes();
    }

    /** Parses and validates a record value; anything off-contract throws {@link EventFormatException}. */
    public static PaymentEvent parse(byte[] value) {
        if (value == null) {
            throw new EventFormatException("record has no value");
        }
        JsonObject json;
        try {
            json = new JsonObject(io.vertx.core.buffer.Buffer.buffer(value));
        } catch (DecodeException | ClassCastException e) {
            throw new EventFormatException("value is not a JSON object", e);
        }
        try {
            if (!TYPE.equals(json.getString("type"))) {
                throw new EventFormatException("type must be " + TYPE);
            }
            Map<String, String> metadata = new TreeMap<>();
            JsonObject meta = json.getJsonObject("metadata", new JsonObject());
            for (String k : meta.fieldNames()) {
                metadata.put(k, meta.getString(k));
            }
            PaymentEvent event = new PaymentEvent(
                    required(json, "payment_id"),
                    required(json, "tenant"),
                    required(json, "idempotency_key"),
                    required(json, "request_hash"),
                    json.getLong("amount", -1L),
                    required(json, "currency"),
                    required(json, "customer_id"),
                    required(json, "payment_method"),
                    json.getString("description", ""),
                    metadata,
                    json.getLong("accepted_at_ms", 0L));
            if (!Currencies.isActive(event.currency())) {
                throw new EventFormatException("currency " + event.currency() + " is not an active ISO 4217 code");
            }
            if (json.encode().contains("\\u0000")) {
                // PostgreSQL text cannot hold NUL: such a record could never be stored.
                throw new EventFormatException("a field contains a NUL character");
            }
            if (event.amount() <= 0) {
                throw new EventFormatException("amount must be positive");
            }
            if (!event.paymentId().equals(PaymentIds.paymentId(event.tenant(), event.idempotencyKey()))) {
                throw new EventFormatException("payment_id does not derive from tenant and idempotency_key");
            }
            return event;
        } catch (ClassCastException e) {
            throw new EventFormatException("field of the wrong type: " + e.getMessage(), e);
        }
    }

    private static String required(JsonObject json, String field) {
        String v = json.getString(field);
        if (v == null || v.isEmpty()) {
            throw new EventFormatException("missing field " + field);
        }
        return v;
    }
}
