package com.streamsocial.billing.refund;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.streamsocial.billing.events.Currencies;
import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.events.Decoded;
import com.streamsocial.billing.events.PaymentEventDecoder;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An accepted refund intent as published on {@link Topics#REFUNDS}, keyed by its payment id: JSON like
 * the billing events. Its amount is concrete (the gateway resolved "the rest" under the payment's lock).
 * {@link #decode} is total and strict (unknown, duplicate, null or ill-typed fields refused).
 */
public record RefundEvent(
        String refundId,
        String paymentId,
        String tenant,
        String idempotencyKey,
        String requestHash,
        long amountMinor,
        String currency,
        Optional<RefundReason> reason,
        long requestedAtMs) {

    public static final String TYPE = "refund.requested";
    /** A refund event is a few ids: far below the billing event's bound. */
    public static final int VALUE_BYTES_MAX = 4 * 1024;

    private static final Set<String> STRINGS = Set.of(
            "type", "refund_id", "payment_id", "tenant", "idempotency_key", "request_hash", "currency", "reason");
    private static final Set<String> LONGS = Set.of("amount", "requested_at_ms");
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxDocumentLength(VALUE_BYTES_MAX)
                    .maxNestingDepth(1)
                    .maxNumberLength(32)
                    .build())
            .build();

    public JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("type", TYPE)
                .put("refund_id", refundId)
                .put("payment_id", paymentId)
                .put("tenant", tenant)
                .put("idempotency_key", idempotencyKey)
                .put("request_hash", requestHash)
                .put("amount", amountMinor)
                .put("currency", currency)
                .put("requested_at_ms", requestedAtMs);
        reason.ifPresent(r -> json.put("reason", r.wire()));
        return json;
    }

    public byte[] toBytes() {
        return toJson().toBuffer().getBytes();
    }

    /** Total: the event, or why not (the dead-letter codes of the billing events). */
    public static Decoded<RefundEvent> decode(byte[] value) {
        if (value == null) {
            return Decoded.failed(DecodeError.Code.NO_VALUE, "record has no value");
        }
        if (value.length > VALUE_BYTES_MAX) {
            return Decoded.failed(
                    DecodeError.Code.OVERSIZE, "value is " + value.length + " bytes, at most " + VALUE_BYTES_MAX);
        }
        Map<String, Object> f = new HashMap<>();
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Decoded.failed(DecodeError.Code.NOT_AN_OBJECT, "value is not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                DecodeError e = read(p, name, v, f);
                if (e != null) {
                    return new Decoded.Failed<>(e);
                }
            }
            if (p.nextToken() != null) {
                return Decoded.failed(DecodeError.Code.UNPARSEABLE, "data after the JSON object");
            }
        } catch (IOException | RuntimeException e) {
            return Decoded.failed(DecodeError.Code.UNPARSEABLE, "not valid JSON");
        }
        return validate(f);
    }

    private static DecodeError read(JsonParser p, String name, JsonToken v, Map<String, Object> f) throws IOException {
        if (v == JsonToken.VALUE_NULL) {
            return new DecodeError(DecodeError.Code.NULL_FIELD, "field " + name + " is null");
        }
        if (STRINGS.contains(name) && v == JsonToken.VALUE_STRING) {
            f.put(name, p.getText());
        } else if (LONGS.contains(name)
                && v == JsonToken.VALUE_NUMBER_INT
                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            f.put(name, p.getLongValue());
        } else if (STRINGS.contains(name) || LONGS.contains(name)) {
            return new DecodeError(DecodeError.Code.WRONG_TYPE, "field " + name + " has the wrong type " + v);
        } else {
            return new DecodeError(DecodeError.Code.UNKNOWN_FIELD, "unknown field");
        }
        return null;
    }

    private static Decoded<RefundEvent> validate(Map<String, Object> f) {
        for (String name : new String[] {
            "type",
            "refund_id",
            "payment_id",
            "tenant",
            "idempotency_key",
            "request_hash",
            "currency",
            "amount",
            "requested_at_ms"
        }) {
            if (!f.containsKey(name)) {
                return Decoded.failed(DecodeError.Code.MISSING_FIELD, "missing field " + name);
            }
        }
        if (!TYPE.equals(f.get("type"))) {
            return Decoded.failed(DecodeError.Code.UNKNOWN_TYPE, "type is not " + TYPE);
        }
        String tenant = (String) f.get("tenant");
        String key = (String) f.get("idempotency_key");
        String hash = (String) f.get("request_hash");
        long amount = (Long) f.get("amount");
        long at = (Long) f.get("requested_at_ms");
        if (tenant.isEmpty()
                || tenant.length() > PaymentEventDecoder.TENANT_LENGTH_MAX
                || key.isEmpty()
                || key.length() > PaymentEventDecoder.KEY_LENGTH_MAX
                || hash.isEmpty()
                || hash.length() > PaymentEventDecoder.REQUEST_HASH_LENGTH_MAX) {
            return Decoded.failed(DecodeError.Code.OUT_OF_RANGE, "tenant, idempotency_key or request_hash length");
        }
        if (amount < 1
                || amount > RefundDecision.AMOUNT_MAX_MINOR
                || at < 1
                || at > PaymentEventDecoder.ACCEPTED_AT_MS_MAX) {
            return Decoded.failed(DecodeError.Code.OUT_OF_RANGE, "amount or requested_at_ms out of range");
        }
        String currency = (String) f.get("currency");
        Optional<RefundReason> reason =
                f.containsKey("reason") ? RefundReason.fromWire((String) f.get("reason")) : Optional.empty();
        if (!Currencies.isActive(currency) || (f.containsKey("reason") && reason.isEmpty())) {
            return Decoded.failed(DecodeError.Code.INVALID_FIELD, "currency or reason");
        }
        String refundId = (String) f.get("refund_id");
        String paymentId = (String) f.get("payment_id");
        if (!refundId.equals(RefundIds.refundId(tenant, key)) || !PaymentIds.looksLikePaymentId(paymentId)) {
            return Decoded.failed(
                    DecodeError.Code.INVALID_FIELD, "refund_id does not derive from tenant and key, or payment_id");
        }
        return Decoded.ok(new RefundEvent(refundId, paymentId, tenant, key, hash, amount, currency, reason, at));
    }
}
