package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.util.Set;

/**
 * Decodes one PayPal answer (HTTP status and body) to an order creation, a capture or an order
 * look-up into a {@link Decision}. Total: any status and any bytes give a decision, never an
 * exception. Pure: no I/O.
 *
 * <ul>
 *   <li>An order (200/201, creation): its id, to store before the capture; an order for another
 *       amount or currency is a mismatch, and is never captured.
 *   <li>A captured order (200/201, capture or look-up): its capture {@code COMPLETED} for the amount
 *       asked is a success ({@code provider_ref} = the capture id); {@code PENDING} is pending; {@code
 *       DECLINED} or {@code FAILED} a failure; another amount or currency a mismatch. An order not yet
 *       captured (look-up) is pending.
 *   <li>422 {@code UNPROCESSABLE_ENTITY} with an issue about the payment ({@link #DECLINE_ISSUES}):
 *       failed, with the issue as the failure code.
 *   <li>422 {@code ORDER_ALREADY_CAPTURED}: the order is looked up ({@link LookUp}), never an outcome.
 * </ul>
 *
 * Everything else is retried, never an outcome: 409 and 422 {@code PREVIOUS_REQUEST_IN_PROGRESS} (a
 * duplicate request id in flight), 401 (the token expired or was revoked: refreshed first), 429,
 * 5xx, an answer that does not decode, is over {@link StripeAnswer#PROVIDER_ANSWER_BYTES_MAX} bytes
 * or lacks a field; 400, 403 and 404 are configuration errors (a wrong base URL, account or
 * credentials), also retried.
 */
public final class PayPalAnswer {
    /** 422 issues about the payment's own payer, instrument or data: another try cannot help. */
    static final Set<String> DECLINE_ISSUES = Set.of(
            "INSTRUMENT_DECLINED",
            "TRANSACTION_REFUSED",
            "PAYER_CANNOT_PAY",
            "PAYER_ACTION_REQUIRED",
            "PAYEE_BLOCKED_TRANSACTION",
            "PAYER_ACCOUNT_RESTRICTED",
            "PAYER_ACCOUNT_LOCKED_OR_CLOSED",
            "COMPLIANCE_VIOLATION",
            "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
            "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
            "CURRENCY_NOT_SUPPORTED",
            "DECIMAL_PRECISION",
            "DECIMALS_NOT_SUPPORTED",
            "CANNOT_BE_ZERO_OR_NEGATIVE",
            "AMOUNT_NOT_PERMITTED",
            "PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED",
            "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR",
            "PAYMENT_SOURCE_CANNOT_BE_USED",
            "CARD_EXPIRED",
            "ORDER_NOT_APPROVED");

    /** The 422 issue PayPal gives the second of two concurrent requests under one request id. */
    static final String IN_PROGRESS_ISSUE = "PREVIOUS_REQUEST_IN_PROGRESS";

    static final String ALREADY_CAPTURED_ISSUE = "ORDER_ALREADY_CAPTURED";

    /** Characters of a string field taken from an answer at most; a longer one counts as absent. */
    static final int FIELD_CHARS_MAX = 255;

    /** What to do with an answer. */
    public sealed interface Decision permits Answered, Created, LookUp, Retry {}

    /** An answer about the payment: final, pending or a mismatch. */
    public record Answered(ChargeResult result) implements Decision {}

    /** The order exists for the amount asked: store its id, then capture it. */
    public record Created(String orderId) implements Decision {}

    /** The order was captured under another request: ask for it ({@code GET /v2/checkout/orders/{id}}). */
    public record LookUp(String orderId) implements Decision {}

    /**
     * No answer about the payment. {@code configuration}: only an operator can fix it; {@code
     * tokenRejected}: get a new access token before the next try. The {@code reason} holds the HTTP
     * status, PayPal's error name and issue when they are short tokens ({@link ProviderToken}) and our
     * own words: never PayPal's {@code message} or {@code error_description}, nor other body text.
     */
    public record Retry(boolean configuration, boolean tokenRejected, String reason) implements Decision {}

    private PayPalAnswer() {}

    /** The decision on an order creation's answer. */
    public static Decision created(Charge c, int status, byte[] body) {
        Object parsed = parse(body);
        if (parsed instanceof Retry r) {
            return retry(status, r.reason());
        }
        JsonObject root = parsed instanceof JsonObject o ? o : null;
        if (status == 200 || status == 201) {
            String id = text(root, "id");
            JsonObject amount = object(firstUnit(root), "amount");
            String currency = text(amount, "currency_code");
            String value = text(amount, "value");
            if (id == null || currency == null || value == null) {
                return new Retry(false, false, "HTTP " + status + " without an order's id and amount");
            }
            String asked = asked(c);
            if (!currency.equals(c.currency()) || !value.equals(asked)) {
                // Never captured: the payment stays charging, with the mismatch to show.
                return new Answered(ChargeResult.mismatch(
                        c.paymentId(),
                        null,
                        "order " + ProviderToken.safe(id, "?") + " for " + ProviderToken.safe(value, "?") + " "
                                + ProviderToken.safe(currency, "?") + ", asked " + asked + " " + c.currency()));
            }
            return new Created(id);
        }
        return error(c, status, root, null);
    }

    /**
     * The decision on a capture's answer, or on a look-up of the order ({@code GET}); {@code orderId}
     * is the order captured.
     */
    public static Decision captured(Charge c, String orderId, int status, byte[] body) {
        Object parsed = parse(body);
        if (parsed instanceof Retry r) {
            return retry(status, r.reason());
        }
        JsonObject root = parsed instanceof JsonObject o ? o : null;
        if (status == 200 || status == 201) {
            if (root == null || text(root, "status") == null) {
                return new Retry(false, false, "HTTP " + status + " without an order's status");
            }
            JsonObject payments = object(firstUnit(root), "payments");
            JsonArray captures = payments != null && payments.getValue("captures") instanceof JsonArray a ? a : null;
            JsonObject capture =
                    captures != null && !captures.isEmpty() && captures.getValue(0) instanceof JsonObject o ? o : null;
            if (capture == null) {
                // An order not captured yet (a look-up): nothing moved; asked again later.
                return new Answered(ChargeResult.pending(
                        c.paymentId(), orderId, "order " + ProviderToken.safe(text(root, "status"), "unrecognised")));
            }
            String id = text(capture, "id");
            String st = text(capture, "status");
            JsonObject amount = object(capture, "amount");
            String currency = text(amount, "currency_code");
            String value = text(amount, "value");
            if (id == null || st == null || currency == null || value == null) {
                return new Retry(false, false, "HTTP " + status + " without a capture's id, status and amount");
            }
            String asked = asked(c);
            if (!currency.equals(c.currency()) || !value.equals(asked)) {
                return new Answered(ChargeResult.mismatch(
                        c.paymentId(),
                        orderId,
                        "provider " + ProviderToken.safe(st, "?") + " " + ProviderToken.safe(value, "?") + " "
                                + ProviderToken.safe(currency, "?") + ", asked " + asked + " " + c.currency()));
            }
            return new Answered(
                    switch (st) {
                        case "COMPLETED" -> ChargeResult.succeeded(c.paymentId(), id, orderId);
                        case "DECLINED", "FAILED" -> ChargeResult.failed(c.paymentId(), "CAPTURE_" + st, orderId);
                        default ->
                            ChargeResult.pending(
                                    c.paymentId(), orderId, "capture " + ProviderToken.safe(st, "unrecognised"));
                    });
        }
        return error(c, status, root, orderId);
    }

    private static Decision error(Charge c, int status, JsonObject root, String orderId) {
        // Only short tokens: the message (free text that may echo the request) is never read.
        String name = ProviderToken.safe(text(root, "name"));
        String issue = ProviderToken.safe(issue(root));
        String why = "HTTP " + status + (name != null ? " " + name : "") + (issue != null ? " " + issue : "");
        if (status == 422 && issue != null) {
            if (DECLINE_ISSUES.contains(issue)) {
                return new Answered(ChargeResult.failed(c.paymentId(), issue, orderId));
            }
            if (ALREADY_CAPTURED_ISSUE.equals(issue) && orderId != null) {
                return new LookUp(orderId);
            }
        }
        if (status == 401) {
            return new Retry(false, true, why);
        }
        boolean configuration = status == 400 || status == 403 || status == 404;
        return new Retry(configuration, false, why);
    }

    /**
     * The {@code amount.value} PayPal takes for the charge's amount ({@link PayPalAmounts}: PayPal's
     * own exponent), or null when PayPal cannot take it exactly.
     */
    static String asked(Charge c) {
        return PayPalAmounts.toPayPal(c.amount(), c.currency()) instanceof PayPalAmounts.Value v ? v.value() : null;
    }

    private static Decision retry(int status, String reason) {
        return new Retry(false, status == 401, "HTTP " + status + " " + reason);
    }

    /** The JSON value of the body (null when empty or not JSON), or a Retry when it is unreadable. */
    private static Object parse(byte[] body) {
        if (body != null && body.length > StripeAnswer.PROVIDER_ANSWER_BYTES_MAX) {
            return new Retry(false, false, "answer over " + StripeAnswer.PROVIDER_ANSWER_BYTES_MAX + " bytes");
        }
        try {
            return ProviderAnswerBody.json(body);
        } catch (CharacterCodingException e) {
            return new Retry(false, false, "answer is not UTF-8");
        }
    }

    private static JsonObject firstUnit(JsonObject root) {
        return root != null
                        && root.getValue("purchase_units") instanceof JsonArray units
                        && !units.isEmpty()
                        && units.getValue(0) instanceof JsonObject u
                ? u
                : null;
    }

    private static String issue(JsonObject root) {
        return root != null
                        && root.getValue("details") instanceof JsonArray details
                        && !details.isEmpty()
                        && details.getValue(0) instanceof JsonObject d
                ? text(d, "issue")
                : null;
    }

    private static String text(JsonObject node, String field) {
        return node != null && node.getValue(field) instanceof String s && s.length() <= FIELD_CHARS_MAX ? s : null;
    }

    private static JsonObject object(JsonObject node, String field) {
        return node != null && node.getValue(field) instanceof JsonObject o ? o : null;
    }
}
