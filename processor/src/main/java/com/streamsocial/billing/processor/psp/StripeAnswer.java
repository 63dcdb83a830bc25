package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Decodes one Stripe answer (HTTP status and body) about one charge into a {@link Decision}. Total:
 * any status and any bytes give a decision, never an exception. Pure: no I/O.
 *
 * <p>What is an answer about the payment (an outcome or a known non-final state), and what is not:
 *
 * <ul>
 *   <li>200 with a payment_intent: {@code succeeded} is a success, {@code requires_payment_method}
 *       (a failed attempt) and {@code canceled} are failures; every other status ({@code processing},
 *       {@code requires_action}, {@code requires_capture}, ...) is pending: money may still move. An
 *       amount or currency other than the request's is a mismatch, whatever the status.
 *   <li>402, or any {@code card_error}: a decline, failed with its {@code decline_code} (else its code).
 *   <li>400 {@code invalid_request_error} with a code that is about this payment's own data
 *       ({@link #PER_PAYMENT_CODES}, and {@code resource_missing} for its payment method or customer):
 *       failed with that code.
 * </ul>
 *
 * Everything else is no answer about the payment and is retried: configuration errors (401, 403,
 * 404 of any kind, which is a wrong base URL, key or account; 400 {@code idempotency_error}, which
 * means our request changed under a used key; any other 400, which is a request Stripe does not
 * take from us) and transient ones (409, 429, 5xx, a body that does not decode, is not UTF-8 or is
 * over {@link #PROVIDER_ANSWER_BYTES_MAX} bytes, a field of the wrong type, anything else).
 */
public final class StripeAnswer {
    /** Invalid-request codes that are about the payment's own data, so another try cannot help. */
    static final Set<String> PER_PAYMENT_CODES = Set.of(
            "amount_too_small",
            "amount_too_large",
            "payment_method_unactivated",
            "payment_method_invalid_parameter",
            "payment_method_unexpected_state",
            "payment_intent_authentication_failure",
            "payment_intent_payment_attempt_failed",
            "payment_intent_incompatible_payment_method");

    /**
     * Bytes of one answer at most. Stripe's answers are a few KiB; a longer one is not an answer about
     * the payment but a fault (or a hostile endpoint) and is retried. The HTTP adapter stops reading
     * there ({@link ProviderAnswerBody}); this bound holds for any caller.
     */
    public static final int PROVIDER_ANSWER_BYTES_MAX = 64 * 1024;

    /**
     * Characters of a string field taken from an answer (ids, codes, statuses) at most; a longer one
     * counts as absent, so nothing unbounded reaches the ledger, Kafka or a log line. Stripe's ids and
     * codes are well under it.
     */
    static final int FIELD_CHARS_MAX = 255;

    /** What to do with an answer. */
    public sealed interface Decision permits Answered, Retry {}

    /** An answer about the payment: final, pending or a mismatch. */
    public record Answered(ChargeResult result) implements Decision {}

    /**
     * No answer about the payment. {@code configuration} errors only an operator can fix. The {@code
     * reason} holds the HTTP status, Stripe's error type and code when they are short tokens ({@link
     * ProviderToken}) and our own words: never Stripe's {@code message}, nor any other text of the body.
     */
    public record Retry(boolean configuration, String reason) implements Decision {}

    private StripeAnswer() {}

    /** {@link #decide(Charge, int, byte[])} of the text's UTF-8 bytes. */
    public static Decision decide(Charge c, int status, String body) {
        return decide(c, status, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The decision on an answer's status and raw body bytes. Bytes over {@link
     * #PROVIDER_ANSWER_BYTES_MAX}, bytes that are not UTF-8, and a 200 whose body is not a payment
     * intent are transient {@link Retry}s.
     */
    public static Decision decide(Charge c, int status, byte[] body) {
        if (body != null && body.length > PROVIDER_ANSWER_BYTES_MAX) {
            return new Retry(false, "HTTP " + status + " answer over " + PROVIDER_ANSWER_BYTES_MAX + " bytes");
        }
        Object decoded = null;
        boolean utf8 = true;
        try {
            // Null when not JSON (or nested past the parser's limits): no answer about the payment.
            decoded = ProviderAnswerBody.json(body);
        } catch (CharacterCodingException e) {
            utf8 = false;
        }
        if (!utf8) {
            return new Retry(false, "HTTP " + status + " answer is not UTF-8");
        }
        JsonObject root = decoded instanceof JsonObject o ? o : null;
        if (status == 200) {
            if (root == null) {
                return new Retry(false, "HTTP 200 whose body is not a JSON object");
            }
            return intent(c, root);
        }
        JsonObject error = object(root, "error");
        // Only short tokens: the error's message (free text that may echo the request) is never read.
        String type = ProviderToken.safe(text(error, "type"));
        String code = ProviderToken.safe(text(error, "code"));
        String why = "HTTP " + status + (type != null ? " " + type : "") + (code != null ? " " + code : "");
        if (status == 402 || (status == 400 && "card_error".equals(type))) {
            String decline = ProviderToken.safe(text(error, "decline_code"));
            String intentId = text(object(error, "payment_intent"), "id");
            return new Answered(ChargeResult.failed(
                    c.paymentId(), decline != null ? decline : code != null ? code : "card_declined", intentId));
        }
        if (status == 400 && "invalid_request_error".equals(type) && code != null) {
            String param = text(error, "param");
            boolean ownReference =
                    "resource_missing".equals(code) && ("payment_method".equals(param) || "customer".equals(param));
            if (PER_PAYMENT_CODES.contains(code) || ownReference) {
                return new Answered(ChargeResult.failed(c.paymentId(), code, null));
            }
        }
        boolean configuration = status == 400 || status == 401 || status == 403 || status == 404;
        return new Retry(configuration, why);
    }

    private static Decision intent(Charge c, JsonObject pi) {
        String id = text(pi, "id");
        String st = text(pi, "status");
        Object amountValue = pi.getValue("amount");
        String currency = text(pi, "currency");
        if (id == null
                || st == null
                || !(amountValue instanceof Long || amountValue instanceof Integer)
                || currency == null) {
            return new Retry(false, "HTTP 200 without a payment intent's id, status, integer amount and currency");
        }
        long amount = ((Number) amountValue).longValue();
        String asked = c.currency() == null ? "" : c.currency().toLowerCase(Locale.ROOT);
        if (amount != c.amount() || !currency.toLowerCase(Locale.ROOT).equals(asked)) {
            return new Answered(ChargeResult.mismatch(
                    c.paymentId(),
                    id,
                    "provider " + ProviderToken.safe(st, "?") + " " + amount + " " + ProviderToken.safe(currency, "?")
                            + ", asked " + c.amount() + " " + asked));
        }
        return new Answered(
                switch (st) {
                    case "succeeded" -> {
                        String charge = text(pi, "latest_charge");
                        yield ChargeResult.succeeded(c.paymentId(), charge != null ? charge : id, id);
                    }
                    case "requires_payment_method" -> {
                        JsonObject last = object(pi, "last_payment_error");
                        String decline = ProviderToken.safe(text(last, "decline_code"));
                        String code = ProviderToken.safe(text(last, "code"));
                        yield ChargeResult.failed(
                                c.paymentId(), decline != null ? decline : code != null ? code : "payment_failed", id);
                    }
                    case "canceled" -> ChargeResult.failed(c.paymentId(), "canceled", id);
                    default -> ChargeResult.pending(c.paymentId(), id, ProviderToken.safe(st, "unrecognised"));
                });
    }

    /**
     * The string at {@code field} when it is one of at most {@link #FIELD_CHARS_MAX} characters, else
     * null: never a ClassCastException, never an unbounded value.
     */
    private static String text(JsonObject node, String field) {
        return node != null && node.getValue(field) instanceof String s && s.length() <= FIELD_CHARS_MAX ? s : null;
    }

    /** The object at {@code field} when it is one, else null. */
    private static JsonObject object(JsonObject node, String field) {
        return node != null && node.getValue(field) instanceof JsonObject o ? o : null;
    }
}
