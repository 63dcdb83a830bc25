package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.processor.psp.RefundProvider.RefundCall;
import com.streamsocial.billing.processor.psp.RefundProvider.RefundResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.util.Set;

/**
 * What a provider's answer to a refund means, decided totally (never throws, whatever the bytes): a
 * {@link Decided} answer (final, or a refund the provider made and left pending, which is recorded
 * with its id and never posted again), or a {@link Retry} that decides nothing (asked again until the
 * deadline). Only short tokens of the answer are kept ({@link ProviderToken}), never its free text.
 */
public final class RefundAnswer {
    /** Stripe's codes for a refund the charge's own state refuses: final, another try cannot help. */
    static final Set<String> STRIPE_REFUSALS =
            Set.of("charge_already_refunded", "amount_too_large", "charge_disputed", "charge_expired_for_refund");

    /** PayPal's issues for a refund the capture's own state refuses. */
    static final Set<String> PAYPAL_REFUSALS = Set.of(
            "CAPTURE_FULLY_REFUNDED",
            "REFUND_AMOUNT_EXCEEDED",
            "REFUND_NOT_ALLOWED",
            "PARTIAL_REFUND_NOT_ALLOWED",
            "REFUND_TIME_LIMIT_EXCEEDED");

    private static final int FIELD_CHARS_MAX = 255;

    private RefundAnswer() {}

    public sealed interface Decision permits Decided, Retry {}

    public record Decided(RefundResult result) implements Decision {}

    public record Retry(boolean configuration, boolean tokenRejected, String reason) implements Decision {}

    /** Stripe's answer to {@code POST /v1/refunds}. */
    public static Decision stripe(RefundCall c, int status, byte[] body) {
        Object parsed = parse(body);
        if (parsed instanceof Retry r) {
            return r;
        }
        JsonObject root = parsed instanceof JsonObject o ? o : null;
        if (status == 200) {
            String id = text(root, "id");
            String st = text(root, "status");
            if (id == null
                    || st == null
                    || !"refund".equals(text(root, "object"))
                    || !(root.getValue("amount") instanceof Number n)
                    || n.longValue() != c.amountMinor()) {
                return new Retry(false, false, "HTTP 200 without a refund of the amount asked");
            }
            return switch (st) {
                case "succeeded" -> new Decided(new RefundResult(c.refundId(), true, id, null));
                case "pending", "requires_action" -> new Decided(RefundResult.pending(c.refundId(), id, st));
                case "failed", "canceled" ->
                    new Decided(new RefundResult(
                            c.refundId(), false, id, ProviderToken.safe(text(root, "failure_reason"), "refund_" + st)));
                default -> new Retry(false, false, "refund " + ProviderToken.safe(st, "unrecognised"));
            };
        }
        JsonObject error = root != null && root.getValue("error") instanceof JsonObject e ? e : null;
        String code = ProviderToken.safe(text(error, "code"));
        if ((status == 400 || status == 402) && code != null && STRIPE_REFUSALS.contains(code)) {
            return new Decided(new RefundResult(c.refundId(), false, null, code));
        }
        String why = "HTTP " + status + (code != null ? " " + code : "");
        return new Retry(status == 400 || status == 401 || status == 403 || status == 404, false, why);
    }

    /** PayPal's answer to {@code POST /v2/payments/captures/{id}/refund}. */
    public static Decision paypal(RefundCall c, String askedValue, int status, byte[] body) {
        Object parsed = parse(body);
        if (parsed instanceof Retry r) {
            return r;
        }
        JsonObject root = parsed instanceof JsonObject o ? o : null;
        if (status == 200 || status == 201) {
            String id = text(root, "id");
            String st = text(root, "status");
            JsonObject amount = root != null && root.getValue("amount") instanceof JsonObject a ? a : null;
            if (id == null
                    || st == null
                    || (amount != null
                            && !(askedValue.equals(text(amount, "value"))
                                    && c.currency().equals(text(amount, "currency_code"))))) {
                return new Retry(false, false, "HTTP " + status + " without a refund of the amount asked");
            }
            return switch (st) {
                case "COMPLETED" -> new Decided(new RefundResult(c.refundId(), true, id, null));
                case "PENDING" -> new Decided(RefundResult.pending(c.refundId(), id, st));
                case "CANCELLED", "FAILED" -> new Decided(new RefundResult(c.refundId(), false, id, "REFUND_" + st));
                default -> new Retry(false, false, "refund " + ProviderToken.safe(st, "unrecognised"));
            };
        }
        String issue = ProviderToken.safe(issue(root));
        if (status == 422 && issue != null && PAYPAL_REFUSALS.contains(issue)) {
            return new Decided(new RefundResult(c.refundId(), false, null, issue));
        }
        String why = "HTTP " + status + (issue != null ? " " + issue : "");
        return new Retry(status == 400 || status == 403 || status == 404, status == 401, why);
    }

    /**
     * Stripe's answer to {@code GET /v1/refunds/{id}}: decided as a creation's 200 is, when it is the
     * refund asked about ({@code providerRef}); anything else decides nothing (a 404 is ours: a wrong
     * account or key).
     */
    public static Decision stripeLookup(RefundCall c, String providerRef, int status, byte[] body) {
        return lookup(c, providerRef, status, body, () -> stripe(c, 200, body));
    }

    /** PayPal's answer to {@code GET /v2/payments/refunds/{id}}, as {@link #stripeLookup}. */
    public static Decision paypalLookup(RefundCall c, String askedValue, String providerRef, int status, byte[] body) {
        return lookup(c, providerRef, status, body, () -> paypal(c, askedValue, 200, body));
    }

    private static Decision lookup(
            RefundCall c, String providerRef, int status, byte[] body, java.util.function.Supplier<Decision> ok) {
        Object parsed = parse(body);
        if (parsed instanceof Retry r) {
            return r;
        }
        if (status != 200) {
            return new Retry(status == 401 || status == 403 || status == 404, status == 401, "HTTP " + status);
        }
        JsonObject root = parsed instanceof JsonObject o ? o : null;
        if (!providerRef.equals(text(root, "id"))) {
            return new Retry(false, false, "HTTP 200 about another refund than " + ProviderToken.safe(providerRef));
        }
        return ok.get();
    }

    private static Object parse(byte[] body) {
        if (body != null && body.length > StripeAnswer.PROVIDER_ANSWER_BYTES_MAX) {
            return new Retry(false, false, "answer over " + StripeAnswer.PROVIDER_ANSWER_BYTES_MAX + " bytes");
        }
        try {
            return ProviderAnswerBody.json(body);
        } catch (CharacterCodingException e) {
            return new Retry(false, false, "answer is not UTF-8");
        } catch (RuntimeException e) {
            return new Retry(false, false, "answer does not decode");
        }
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
}
