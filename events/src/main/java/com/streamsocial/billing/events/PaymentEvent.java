package com.streamsocial.billing.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

    private static final JsonFactory JSON = new JsonFactory();

    /** A record value's first buffer: most payments fit (a grown one costs a copy, not a failure). */
    private static final int RECORD_BYTES_INITIAL = 512;

    /**
     * The bytes {@code toJson().toBuffer()} gives, written field by field: the gateway's event loops
     * spent about 8 % of their samples building and serialising the {@link JsonObject} and its sorted
     * metadata copy (docs/BENCHMARKS.md, 2026-12-07 afternoon). PaymentEventTest holds the two equal.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(RECORD_BYTES_INITIAL);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", TYPE);
            g.writeStringField("payment_id", paymentId);
            g.writeStringField("tenant", tenant);
            g.writeStringField("idempotency_key", idempotencyKey);
            g.writeStringField("request_hash", requestHash);
            g.writeNumberField("amount", amount);
            g.writeStringField("currency", currency);
            g.writeStringField("customer_id", customerId);
            g.writeStringField("payment_method", paymentMethod);
            g.writeStringField("description", description);
            g.writeObjectFieldStart("metadata");
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeNumberField("accepted_at_ms", acceptedAtMs);
            g.writeEndObject();
        } catch (IOException e) {
            // A ByteArrayOutputStream does not fail; Jackson declares it for other sinks.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
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
