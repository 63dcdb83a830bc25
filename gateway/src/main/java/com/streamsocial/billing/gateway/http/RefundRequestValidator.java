package com.streamsocial.billing.gateway.http;

import com.streamsocial.billing.refund.RefundDecision;
import com.streamsocial.billing.refund.RefundReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Total parsing of a refund request: the Idempotency-Key as for payments, then a body that is empty
 * (refund the rest) or one strict JSON object with only an optional {@code amount} and {@code reason}.
 * Returns the request or the problem, never throws; no Vert.x type, so it is tested on its own.
 */
public final class RefundRequestValidator {
    /** A refund body is two short fields: anything larger is not one. */
    public static final int BODY_BYTES_MAX = 1024;

    private RefundRequestValidator() {}

    /** Either the request or the problem to answer with. */
    public record Result(RefundRequest request, Problem problem) {}

    public static Problem tooLarge() {
        return new Problem(
                413,
                "body-too-large",
                "The body is too large",
                "a refund body must be at most " + BODY_BYTES_MAX + " bytes",
                List.of(new Problem.FieldError("body", "larger than " + BODY_BYTES_MAX + " bytes")),
                null);
    }

    public static Result validate(String tenant, String paymentId, String key, String contentType, byte[] body) {
        Problem keyProblem = RequestValidator.checkKey(key);
        if (keyProblem != null) {
            return new Result(null, keyProblem);
        }
        if (body == null || body.length == 0) {
            return new Result(new RefundRequest(tenant, paymentId, key, OptionalLong.empty(), Optional.empty()), null);
        }
        if (!RequestValidator.isJson(contentType)) {
            return new Result(
                    null,
                    Problem.of(
                            415,
                            "unsupported-media-type",
                            "Unsupported media type",
                            "Content-Type must be application/json"));
        }
        if (body.length > BODY_BYTES_MAX) {
            return new Result(null, tooLarge());
        }
        StrictJson.Parsed parsed = StrictJson.parseObject(body);
        if (parsed.error() != null) {
            return new Result(null, Problem.invalid(List.of(parsed.error())));
        }
        return fields(tenant, paymentId, key, parsed.object());
    }

    private static Result fields(String tenant, String paymentId, String key, Map<String, Object> object) {
        List<Problem.FieldError> errors = new ArrayList<>();
        for (String f : object.keySet()) {
            if (!f.equals("amount") && !f.equals("reason")) {
                errors.add(new Problem.FieldError(RequestValidator.printable(f), "unknown field"));
            }
        }
        OptionalLong amount = OptionalLong.empty();
        if (object.containsKey("amount")) {
            Object v = object.get("amount");
            if (!(v instanceof Integer || v instanceof Long)) {
                errors.add(new Problem.FieldError(
                        "amount", "must be an integer amount in minor units, or left out for the rest"));
            } else if (((Number) v).longValue() < 1 || ((Number) v).longValue() > RefundDecision.AMOUNT_MAX_MINOR) {
                errors.add(
                        new Problem.FieldError("amount", "must be between 1 and " + RefundDecision.AMOUNT_MAX_MINOR));
            } else {
                amount = OptionalLong.of(((Number) v).longValue());
            }
        }
        Optional<RefundReason> reason = Optional.empty();
        if (object.containsKey("reason")) {
            Object v = object.get("reason");
            reason = v instanceof String s ? RefundReason.fromWire(s) : Optional.empty();
            if (reason.isEmpty()) {
                errors.add(new Problem.FieldError("reason", "must be duplicate, fraudulent or requested_by_customer"));
            }
        }
        if (!errors.isEmpty()) {
            return new Result(null, Problem.invalid(errors));
        }
        return new Result(new RefundRequest(tenant, paymentId, key, amount, reason), null);
    }
}
