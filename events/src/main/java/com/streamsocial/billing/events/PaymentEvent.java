package com.streamsocial.billing.events;

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

    /** Parses and validates a trusted record value (tests, tools); throws {@link EventFormatException} only. */
    public static PaymentEvent parse(byte[] value) {
        return decode(value).orElseThrow();
    }

    /**
     * Decodes and validates an untrusted record value. Total: every input, null included, gives the
     * event or a {@link DecodeError}; nothing is thrown. See {@link PaymentEventDecoder} for the rules.
     */
    public static Decoded<PaymentEvent> decode(byte[] value) {
        return PaymentEventDecoder.decode(value);
    }
}
