package com.streamsocial.billing.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The strict, total decoder of {@link PaymentEvent} values, on Jackson's streaming parser: duplicate
 * keys, trailing data and every non-standard JSON extension are refused; every field is checked for
 * presence, null, JSON type, size and range before an event is built. Returns a {@link Decoded}; an
 * unexpected failure becomes {@link DecodeError.Code#INTERNAL}, never an exception.
 */
public final class PaymentEventDecoder {
    /** Largest record value read at all: the gateway's 16 KiB body plus the event's own fields, with room. */
    public static final int VALUE_BYTES_MAX = 64 * 1024;

    public static final int TENANT_LENGTH_MAX = 64;
    public static final int KEY_LENGTH_MAX = 255;
    public static final int ID_LENGTH_MAX = 255;
    public static final int REQUEST_HASH_LENGTH_MAX = 128;
    public static final int DESCRIPTION_LENGTH_MAX = 1_000;
    public static final int METADATA_PAIRS_MAX = 20;
    public static final int METADATA_KEY_LENGTH_MAX = 40;
    public static final int METADATA_VALUE_LENGTH_MAX = 500;
    public static final long AMOUNT_MIN = 1;
    public static final long AMOUNT_MAX = 99_999_999;
    /** 9999-12-31T23:59:59.999Z: PostgreSQL's timestamptz and every sane clock stay below it. */
    public static final long ACCEPTED_AT_MS_MAX = 253_402_300_799_999L;

    /** Tenant names: letters, digits, dot, underscore and hyphen (they end up in ids, logs and metric labels). */
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]+");

    private static final Set<String> STRINGS = Set.of(
            "type",
            "payment_id",
            "tenant",
            "idempotency_key",
            "request_hash",
            "currency",
            "customer_id",
            "payment_method",
            "description");
    private static final Set<String> LONGS = Set.of("amount", "accepted_at_ms");
    private static final String METADATA = "metadata";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxDocumentLength(VALUE_BYTES_MAX)
                    .maxStringLength(VALUE_BYTES_MAX)
                    .maxNameLength(METADATA_KEY_LENGTH_MAX * 4)
                    .maxNestingDepth(2)
                    .maxNumberLength(32)
                    .build())
            .build();

    private PaymentEventDecoder() {}

    /** A refusal on the way through the fields; caught in {@link #decode}, never leaves this class. */
    private static final class Refused extends Exception {
        final DecodeError error;

        Refused(DecodeError.Code code, String message) {
            super(message, null, false, false);
            this.error = new DecodeError(code, message);
        }
    }

    public static Decoded<PaymentEvent> decode(byte[] value) {
        try {
            return Decoded.ok(read(value));
        } catch (Refused r) {
            return new Decoded.Failed<>(r.error);
        } catch (RuntimeException e) {
            return Decoded.failed(DecodeError.Code.INTERNAL, "decoder failed: " + e);
        }
    }

    private static PaymentEvent read(byte[] value) throws Refused {
        if (value == null) {
            throw new Refused(DecodeError.Code.NO_VALUE, "record has no value");
        }
        if (value.length > VALUE_BYTES_MAX) {
            throw new Refused(
                    DecodeError.Code.OVERSIZE,
                    "value is " + value.length + " bytes, at most " + VALUE_BYTES_MAX + " are allowed");
        }
        Map<String, Object> fields = new HashMap<>();
        try (JsonParser p = JSON.createParser(value)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new Refused(DecodeError.Code.UNPARSEABLE, "value is empty");
            }
            if (first != JsonToken.START_OBJECT) {
                throw new Refused(DecodeError.Code.NOT_AN_OBJECT, "value is not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_NULL) {
                    throw new Refused(DecodeError.Code.NULL_FIELD, "field " + name + " is null");
                }
                if (STRINGS.contains(name)) {
                    fields.put(name, string(p, v, name));
                } else if (LONGS.contains(name)) {
                    fields.put(name, integer(p, v, name));
                } else if (METADATA.equals(name)) {
                    fields.put(name, metadata(p, v));
                } else {
                    throw new Refused(DecodeError.Code.UNKNOWN_FIELD, "unknown field " + name);
                }
            }
            if (p.nextToken() != null) {
                throw new Refused(DecodeError.Code.UNPARSEABLE, "data after the JSON object");
            }
        } catch (StreamConstraintsException e) {
            throw new Refused(DecodeError.Code.OVERSIZE, "value exceeds a size limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new Refused(DecodeError.Code.UNPARSEABLE, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Refused(DecodeError.Code.UNPARSEABLE, "not valid JSON: " + e.getMessage());
        }
        return validate(fields);
    }

    private static String string(JsonParser p, JsonToken v, String name) throws Refused, IOException {
        if (v != JsonToken.VALUE_STRING) {
            p.skipChildren();
            throw new Refused(DecodeError.Code.WRONG_TYPE, "field " + name + " must be a string, got " + v);
        }
        return p.getText();
    }

    private static long integer(JsonParser p, JsonToken v, String name) throws Refused, IOException {
        if (v != JsonToken.VALUE_NUMBER_INT) {
            p.skipChildren();
            throw new Refused(DecodeError.Code.WRONG_TYPE, "field " + name + " must be an integer, got " + v);
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new Refused(DecodeError.Code.OUT_OF_RANGE, "field " + name + " does not fit in 64 bits");
        }
        return p.getLongValue();
    }

    private static Map<String, String> metadata(JsonParser p, JsonToken v) throws Refused, IOException {
        if (v != JsonToken.START_OBJECT) {
            p.skipChildren();
            throw new Refused(DecodeError.Code.WRONG_TYPE, "field metadata must be an object, got " + v);
        }
        Map<String, String> out = new TreeMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            JsonToken mv = p.nextToken();
            if (mv == JsonToken.VALUE_NULL) {
                throw new Refused(DecodeError.Code.NULL_FIELD, "metadata." + key + " is null");
            }
            if (mv != JsonToken.VALUE_STRING) {
                p.skipChildren();
                throw new Refused(DecodeError.Code.WRONG_TYPE, "metadata." + key + " must be a string, got " + mv);
            }
            if (out.size() == METADATA_PAIRS_MAX) {
                throw new Refused(DecodeError.Code.OVERSIZE, "metadata has more than " + METADATA_PAIRS_MAX + " pairs");
            }
            checkText("metadata key", key, 1, METADATA_KEY_LENGTH_MAX);
            String s = p.getText();
            checkText("metadata." + key, s, 0, METADATA_VALUE_LENGTH_MAX);
            out.put(key, s);
        }
        return out;
    }

    private static PaymentEvent validate(Map<String, Object> f) throws Refused {
        String type = (String) required(f, "type");
        if (!PaymentEvent.TYPE.equals(type)) {
            throw new Refused(
                    DecodeError.Code.UNKNOWN_TYPE, "type " + abbreviate(type) + " is not " + PaymentEvent.TYPE);
        }
        String paymentId = text(f, "payment_id", ID_LENGTH_MAX);
        String tenant = text(f, "tenant", TENANT_LENGTH_MAX);
        if (!TENANT.matcher(tenant).matches()) {
            throw new Refused(DecodeError.Code.INVALID_FIELD, "tenant may hold only letters, digits, '.', '_', '-'");
        }
        String key = text(f, "idempotency_key", KEY_LENGTH_MAX);
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) < 0x20 || key.charAt(i) > 0x7e) {
                throw new Refused(DecodeError.Code.INVALID_FIELD, "idempotency_key must be printable ASCII");
            }
        }
        String requestHash = text(f, "request_hash", REQUEST_HASH_LENGTH_MAX);
        long amount = (Long) required(f, "amount");
        if (amount < AMOUNT_MIN || amount > AMOUNT_MAX) {
            throw new Refused(
                    DecodeError.Code.OUT_OF_RANGE,
                    "amount " + amount + " is outside " + AMOUNT_MIN + " to " + AMOUNT_MAX);
        }
        String currency = (String) required(f, "currency");
        if (!Currencies.isActive(currency)) {
            throw new Refused(
                    DecodeError.Code.INVALID_FIELD,
                    "currency " + abbreviate(currency) + " is not an active ISO 4217 code");
        }
        String customerId = text(f, "customer_id", ID_LENGTH_MAX);
        String paymentMethod = text(f, "payment_method", ID_LENGTH_MAX);
        String description = (String) f.getOrDefault("description", "");
        checkText("description", description, 0, DESCRIPTION_LENGTH_MAX);
        @SuppressWarnings("unchecked")
        Map<String, String> metadata = (Map<String, String>) f.getOrDefault(METADATA, Map.of());
        long acceptedAtMs = (Long) required(f, "accepted_at_ms");
        if (acceptedAtMs < 1 || acceptedAtMs > ACCEPTED_AT_MS_MAX) {
            throw new Refused(
                    DecodeError.Code.OUT_OF_RANGE,
                    "accepted_at_ms " + acceptedAtMs + " is outside 1 to " + ACCEPTED_AT_MS_MAX);
        }
        if (!paymentId.equals(PaymentIds.paymentId(tenant, key))) {
            throw new Refused(
                    DecodeError.Code.INVALID_FIELD, "payment_id does not derive from tenant and idempotency_key");
        }
        return new PaymentEvent(
                paymentId,
                tenant,
                key,
                requestHash,
                amount,
                currency,
                customerId,
                paymentMethod,
                description,
                metadata,
                acceptedAtMs);
    }

    private static Object required(Map<String, Object> f, String name) throws Refused {
        Object v = f.get(name);
        if (v == null) {
            throw new Refused(DecodeError.Code.MISSING_FIELD, "missing field " + name);
        }
        return v;
    }

    private static String text(Map<String, Object> f, String name, int lengthMax) throws Refused {
        String s = (String) required(f, name);
        checkText(name, s, 1, lengthMax);
        return s;
    }

    /**
     * Length, and what PostgreSQL can store unaltered: no NUL (text cannot hold it) and no lone UTF-16
     * surrogate (it would be stored as '?', changing the data).
     */
    private static void checkText(String name, String s, int lengthMin, int lengthMax) throws Refused {
        if (s.length() < lengthMin) {
            throw new Refused(DecodeError.Code.INVALID_FIELD, name + " must not be empty");
        }
        if (s.length() > lengthMax) {
            throw new Refused(
                    DecodeError.Code.OVERSIZE, name + " is " + s.length() + " characters, at most " + lengthMax);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\u0000') {
                throw new Refused(DecodeError.Code.INVALID_FIELD, name + " contains a NUL character");
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new Refused(DecodeError.Code.INVALID_FIELD, name + " contains a lone UTF-16 surrogate");
            }
        }
    }

    /** Keeps messages (and so dead-letter headers) short whatever the input. */
    private static String abbreviate(String s) {
        return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 40) + "...'";
    }
}
