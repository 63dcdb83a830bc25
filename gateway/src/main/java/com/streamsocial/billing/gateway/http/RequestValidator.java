package com.streamsocial.billing.gateway.http;

import com.streamsocial.billing.events.Currencies;
import com.streamsocial.billing.events.PaymentEventDecoder;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Validates a {@code POST /v1/payments} request: the Idempotency-Key header, the media type and the
 * JSON body. It reports every offending field at once, and it accepts nothing it does not know:
 * unknown fields are errors, as Stripe treats unknown parameters. Input is taken strictly, never
 * altered: duplicate JSON keys, lone UTF-16 surrogates and C0/C1 control characters in any string
 * (metadata keys and values included) are refused with the field named.
 */
public final class RequestValidator {
    public static final int BODY_BYTES_MAX = 16 * 1024;
    // The event contract's limits, so that whatever the gateway accepts the processor can decode.
    public static final int KEY_LENGTH_MAX = PaymentEventDecoder.KEY_LENGTH_MAX;
    public static final long AMOUNT_MIN = PaymentEventDecoder.AMOUNT_MIN;
    public static final long AMOUNT_MAX = PaymentEventDecoder.AMOUNT_MAX;
    public static final int METADATA_PAIRS_MAX = PaymentEventDecoder.METADATA_PAIRS_MAX;
    public static final int METADATA_KEY_LENGTH_MAX = PaymentEventDecoder.METADATA_KEY_LENGTH_MAX;
    public static final int METADATA_VALUE_LENGTH_MAX = PaymentEventDecoder.METADATA_VALUE_LENGTH_MAX;
    public static final int ID_LENGTH_MAX = PaymentEventDecoder.ID_LENGTH_MAX;
    public static final int DESCRIPTION_LENGTH_MAX = PaymentEventDecoder.DESCRIPTION_LENGTH_MAX;

    private static final Set<String> FIELDS =
            Set.of("amount", "currency", "customer_id", "payment_method", "description", "metadata");

    /** Either a request or the problem to answer with. */
    public record Result(PaymentRequest request, Problem problem) {}

    private RequestValidator() {}

    /**
     * Checks the header on its own, so that a request without a key is refused before its body: 1 to
     * {@value #KEY_LENGTH_MAX} printable ASCII characters, and no card number of a real issuer
     * ({@link CardNumbers#containsIssuedCardNumber}); the problem never echoes the key.
     */
    public static Problem checkKey(String key) {
        if (key == null) {
            return ProblemType.MISSING_IDEMPOTENCY_KEY.problem(
                    "send an Idempotency-Key header of 1 to " + KEY_LENGTH_MAX + " printable ASCII characters",
                    List.of(new Problem.FieldError("Idempotency-Key", "missing")));
        }
        String why = null;
        if (key.isEmpty() || key.length() > KEY_LENGTH_MAX) {
            why = "must be 1 to " + KEY_LENGTH_MAX + " characters, got " + key.length();
        } else {
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                if (c < 0x20 || c > 0x7e) {
                    why = "must be printable ASCII; character " + i + " is not";
                    break;
                }
            }
        }
        // A key is logged, stored and published: it must not carry a card number (PCI DSS scope).
        // Only a real issuer's prefix counts here, as keys built from epoch timestamps start with 1.
        if (why == null && CardNumbers.containsIssuedCardNumber(key)) {
            why = "holds what looks like a card number; use a random key (a UUID) or an order id";
        }
        if (why == null) {
            return null;
        }
        return ProblemType.INVALID_IDEMPOTENCY_KEY.problem(
                "Idempotency-Key " + why, List.of(new Problem.FieldError("Idempotency-Key", why)));
    }

    /**
     * Whether the media type (before any parameters) is exactly {@code application/json}: not a
     * prefix match, so {@code application/jsonx} or a folded {@code application/json x} is refused.
     */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }

    public static Result validate(String tenant, String key, String contentType, Buffer body) {
        Problem keyProblem = checkKey(key);
        if (keyProblem != null) {
            return new Result(null, keyProblem);
        }
        if (!isJson(contentType)) {
            return new Result(null, notJson());
        }
        if (body == null || body.length() == 0) {
            return invalid("body", "a JSON object is required");
        }
        if (body.length() > BODY_BYTES_MAX) {
            return new Result(null, tooLarge());
        }
        StrictJson.Parsed parsed = StrictJson.parseObject(body.getBytes());
        if (parsed.error() != null) {
            if ("body".equals(parsed.error().field())) {
                return new Result(
                        null,
                        ProblemType.MALFORMED_JSON.problem(
                                "the body must be one JSON object", List.of(parsed.error())));
            }
            return new Result(null, Problem.invalid(List.of(parsed.error())));
        }
        JsonObject json = new JsonObject(parsed.object());
        List<Problem.FieldError> errors = new ArrayList<>();
        for (String f : json.fieldNames()) {
            if (!FIELDS.contains(f)) {
                errors.add(new Problem.FieldError(printable(f), "unknown field"));
            }
        }
        long amount = amount(json.getValue("amount"), errors);
        String currency = currency(json.getValue("currency"), errors);
        String customerId = string(json.getValue("customer_id"), "customer_id", true, ID_LENGTH_MAX, errors);
        String paymentMethod = string(json.getValue("payment_method"), "payment_method", true, ID_LENGTH_MAX, errors);
        String description = string(json.getValue("description"), "description", false, DESCRIPTION_LENGTH_MAX, errors);
        Map<String, String> metadata = metadata(json.getValue("metadata"), errors);
        // Card data first and alone: the answer names the fields and echoes nothing of them.
        List<Problem.FieldError> cards = cardData(json);
        if (!cards.isEmpty()) {
            return new Result(null, cardDataRefused(cards));
        }
        if (!errors.isEmpty()) {
            return new Result(null, Problem.invalid(errors));
        }
        return new Result(
                PaymentRequest.of(tenant, key, amount, currency, customerId, paymentMethod, description, metadata),
                null);
    }

    /**
     * The free-text fields that hold what looks like a card number ({@link CardNumbers}). Metadata
     * values are named by their key, unless the key itself holds one: then only {@code metadata}.
     */
    static List<Problem.FieldError> cardData(JsonObject json) {
        List<Problem.FieldError> out = new ArrayList<>();
        for (String field : List.of("customer_id", "payment_method", "description")) {
            if (json.getValue(field) instanceof String s && CardNumbers.containsCardNumber(s)) {
                out.add(new Problem.FieldError(field, CARD_DATA));
            }
        }
        if (json.getValue("metadata") instanceof JsonObject md) {
            for (String k : md.fieldNames()) {
                if (CardNumbers.containsCardNumber(k)) {
                    out.add(new Problem.FieldError("metadata", "a key " + CARD_DATA));
                } else if (md.getValue(k) instanceof String v && CardNumbers.containsCardNumber(v)) {
                    out.add(new Problem.FieldError("metadata." + printable(truncate(k)), CARD_DATA));
                }
            }
        }
        return out;
    }

    private static final String CARD_DATA =
            "holds what looks like a card number; send a payment method token (pm_...) instead";

    static Problem cardDataRefused(List<Problem.FieldError> fields) {
        return ProblemType.CARD_DATA_REFUSED.problem(
                fields.size() == 1
                        ? fields.get(0).field() + " " + CARD_DATA
                        : fields.size() + " fields hold what looks like a card number",
                List.copyOf(fields));
    }

    public static Problem tooLarge() {
        return tooLarge(BODY_BYTES_MAX);
    }

    /** 413 for a body over {@code bytesMax}: a payment's and a registration's alike. */
    static Problem tooLarge(int bytesMax) {
        return ProblemType.BODY_TOO_LARGE.problem(
                "the body must be at most " + bytesMax + " bytes",
                List.of(new Problem.FieldError("body", "larger than " + bytesMax + " bytes")));
    }

    /** 415 for a body that is not {@code application/json}: a payment's and a registration's alike. */
    static Problem notJson() {
        return ProblemType.UNSUPPORTED_MEDIA_TYPE.problem("Content-Type must be application/json");
    }

    private static Result invalid(String field, String detail) {
        return new Result(null, Problem.invalid(List.of(new Problem.FieldError(field, detail))));
    }

    private static long amount(Object v, List<Problem.FieldError> errors) {
        if (v == null) {
            errors.add(new Problem.FieldError("amount", "required"));
            return 0;
        }
        // Integers only: 19.99, "1999" and 1e3 are all refused rather than guessed at.
        if (!(v instanceof Integer || v instanceof Long)) {
            errors.add(new Problem.FieldError("amount", "must be an integer amount in minor units"));
            return 0;
        }
        long amount = ((Number) v).longValue();
        if (amount < AMOUNT_MIN || amount > AMOUNT_MAX) {
            errors.add(new Problem.FieldError("amount", "must be between " + AMOUNT_MIN + " and " + AMOUNT_MAX));
        }
        return amount;
    }

    private static String currency(Object v, List<Problem.FieldError> errors) {
        if (v == null) {
            errors.add(new Problem.FieldError("currency", "required"));
            return null;
        }
        if (!(v instanceof String s)) {
            errors.add(new Problem.FieldError("currency", "must be a string"));
            return null;
        }
        String code = s.toUpperCase(Locale.ROOT);
        if (!Currencies.isActive(code)) {
            errors.add(new Problem.FieldError(
                    "currency",
                    "'" + printable(truncate(s))
                            + "' is not an active ISO 4217 code with a minor unit (see the README's currencies)"));
            return null;
        }
        return code;
    }

    private static String string(
            Object v, String field, boolean required, int lengthMax, List<Problem.FieldError> errors) {
        if (v == null) {
            if (required) {
                errors.add(new Problem.FieldError(field, "required"));
            }
            return "";
        }
        if (!(v instanceof String s)) {
            errors.add(new Problem.FieldError(field, "must be a string"));
            return "";
        }
        String textProblem = textProblem(s);
        if (textProblem != null) {
            errors.add(new Problem.FieldError(field, textProblem));
        } else if (required && s.isBlank()) {
            errors.add(new Problem.FieldError(field, "must not be empty"));
        } else if (s.length() > lengthMax) {
            errors.add(new Problem.FieldError(field, "must be at most " + lengthMax + " characters"));
        }
        return s;
    }

    private static Map<String, String> metadata(Object v, List<Problem.FieldError> errors) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof JsonObject obj)) {
            errors.add(new Problem.FieldError("metadata", "must be an object of string values"));
            return out;
        }
        if (obj.size() > METADATA_PAIRS_MAX) {
            errors.add(new Problem.FieldError("metadata", "at most " + METADATA_PAIRS_MAX + " pairs"));
            return out;
        }
        for (String k : obj.fieldNames()) {
            Object val = obj.getValue(k);
            String field = "metadata." + printable(truncate(k));
            String keyProblem = textProblem(k);
            if (k.isEmpty() || k.length() > METADATA_KEY_LENGTH_MAX) {
                errors.add(
                        new Problem.FieldError(field, "keys must be 1 to " + METADATA_KEY_LENGTH_MAX + " characters"));
            } else if (keyProblem != null) {
                errors.add(new Problem.FieldError(field, "key " + keyProblem));
            } else if (!(val instanceof String s)) {
                errors.add(new Problem.FieldError(field, "must be a string"));
            } else if (textProblem(s) != null) {
                errors.add(new Problem.FieldError(field, textProblem(s)));
            } else if (s.length() > METADATA_VALUE_LENGTH_MAX) {
                errors.add(
                        new Problem.FieldError(field, "must be at most " + METADATA_VALUE_LENGTH_MAX + " characters"));
            } else {
                out.put(k, s);
            }
        }
        return out;
    }

    /**
     * Why a string may not be stored as sent, or null if it may: a C0 or C1 control character
     * (including NUL and DEL), or a lone UTF-16 surrogate, which no UTF-8 encoder can keep and would
     * turn into {@code ?}, altering the data.
     */
    static String textProblem(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\u0000') {
                return "must not contain NUL characters";
            }
            if (Character.isISOControl(c)) {
                return "must not contain control characters (character " + i + " is U+"
                        + String.format(Locale.ROOT, "%04X", (int) c) + ")";
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++; // a valid pair: one supplementary character
            } else if (Character.isSurrogate(c)) {
                return "must be valid Unicode (character " + i + " is a lone surrogate)";
            }
        }
        return null;
    }

    /**
     * A field name safe to echo back: controls and lone surrogates escaped as {@code \\uXXXX}, and
     * never a card number.
     */
    static String printable(String s) {
        if (CardNumbers.containsCardNumber(s)) {
            return "<redacted>";
        }
        if (textProblem(s) == null) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair =
                    Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (pair) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** At most 40 characters to echo; never a card number, not even part of one. */
    private static String truncate(String s) {
        if (CardNumbers.containsCardNumber(s)) {
            return "<redacted>";
        }
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
