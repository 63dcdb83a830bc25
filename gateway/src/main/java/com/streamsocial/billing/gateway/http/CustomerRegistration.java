package com.streamsocial.billing.gateway.http;

import com.streamsocial.billing.gateway.ownership.CustomerVerifier;
import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates a {@code POST /v1/customers} request, which registers a customer, and optionally its
 * payment methods, to the caller's tenant in the ownership registry: {@code {"customer_id": "cus_1",
 * "payment_methods": ["pm_1"]}}. Total: returns the registration or the problem to answer with, as
 * strictly as {@link RequestValidator} takes a payment (unknown fields, controls, card numbers refused).
 */
public final class CustomerRegistration {
    /** Payment methods one registration may carry, at most. */
    public static final int PAYMENT_METHODS_MAX = 16;

    /** The body's size at most: one customer id and 16 payment methods fit well within it. */
    public static final int BODY_BYTES_MAX = 8 * 1024;

    private static final Set<String> FIELDS = Set.of("customer_id", "payment_methods");

    /** A valid registration: the customer and its distinct payment methods (maybe none). */
    public record Request(String customerId, List<String> paymentMethods) {}

    /** Either a request or the problem to answer with. */
    public record Result(Request request, Problem problem) {}

    private CustomerRegistration() {}

    public static Result validate(String contentType, Buffer body, OwnershipConfig config) {
        if (!RequestValidator.isJson(contentType)) {
            return new Result(null, RequestValidator.notJson());
        }
        if (body == null || body.length() == 0 || body.length() > BODY_BYTES_MAX) {
            return invalid(List.of(new Problem.FieldError(
                    "body", "a JSON object of at most " + BODY_BYTES_MAX + " bytes is required")));
        }
        StrictJson.Parsed parsed = StrictJson.parseObject(body.getBytes());
        if (parsed.error() != null) {
            return invalid(List.of(parsed.error()));
        }
        JsonObject json = new JsonObject(parsed.object());
        List<Problem.FieldError> errors = new ArrayList<>();
        for (String f : json.fieldNames()) {
            if (!FIELDS.contains(f)) {
                errors.add(new Problem.FieldError(RequestValidator.printable(f), "unknown field"));
            }
        }
        String customerId = id(json.getValue("customer_id"), "customer_id", errors);
        List<String> methods = methods(json.getValue("payment_methods"), config, errors);
        if (!errors.isEmpty()) {
            return invalid(errors);
        }
        return new Result(new Request(customerId, methods), null);
    }

    private static List<String> methods(Object v, OwnershipConfig config, List<Problem.FieldError> errors) {
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray arr)) {
            errors.add(new Problem.FieldError("payment_methods", "must be an array of strings"));
            return List.of();
        }
        if (arr.size() > PAYMENT_METHODS_MAX) {
            errors.add(new Problem.FieldError("payment_methods", "must hold at most " + PAYMENT_METHODS_MAX));
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < arr.size(); i++) {
            String field = "payment_methods[" + i + "]";
            String id = id(arr.getValue(i), field, errors);
            if (id != null && config.shared(id)) {
                // A shared test token is no one's card: owning it would lock every other tenant out.
                errors.add(new Problem.FieldError(field, "is a shared test token, which no tenant can own"));
            } else if (id != null) {
                out.add(id);
            }
        }
        return List.copyOf(out);
    }

    /** A provider id, checked as a payment's are; null (with an error) when it is not one. */
    private static String id(Object v, String field, List<Problem.FieldError> errors) {
        if (v == null) {
            errors.add(new Problem.FieldError(field, "required"));
            return null;
        }
        if (!(v instanceof String s)) {
            errors.add(new Problem.FieldError(field, "must be a string"));
            return null;
        }
        String why = RequestValidator.textProblem(s);
        if (why == null && s.isBlank()) {
            why = "must not be empty";
        } else if (why == null && s.length() > RequestValidator.ID_LENGTH_MAX) {
            why = "must be at most " + RequestValidator.ID_LENGTH_MAX + " characters";
        } else if (why == null && CardNumbers.containsCardNumber(s)) {
            why = "holds what looks like a card number";
        }
        if (why != null) {
            errors.add(new Problem.FieldError(field, why));
            return null;
        }
        return s;
    }

    private static Result invalid(List<Problem.FieldError> errors) {
        return new Result(null, Problem.invalid(errors));
    }

    public static Problem tooLarge() {
        return RequestValidator.tooLarge(BODY_BYTES_MAX);
    }

    /** 422 for a payment whose customer or payment method the caller's tenant does not own. */
    public static Problem notOwned() {
        return ProblemType.CUSTOMER_NOT_OWNED.problem(
                "the customer_id or payment_method is not registered to this API key's tenant; register it with"
                        + " POST /v1/customers");
    }

    /** 422 for a registration the provider does not confirm as the tenant's; nothing registered. */
    public static Problem notVerified(CustomerVerifier.Refusal why) {
        String detail = switch (why) {
            case NOT_FOUND -> "the provider has no such customer or payment method";
            case TENANT_MISMATCH -> "the provider's customer is not this API key's tenant's (its metadata[tenant])";
            case PAYMENT_METHOD_NOT_ATTACHED -> "a payment method is not attached to this customer at the provider";
        };
        return ProblemType.CUSTOMER_NOT_VERIFIED
                .problem(detail + "; nothing was registered")
                .withReason(why.reason);
    }

    /** 503 for a registration the provider could not verify in time; nothing registered, retry later. */
    public static Problem providerUnavailable(String why, int retryAfterS) {
        return ProblemType.PROVIDER_UNAVAILABLE
                .problem(
                        "the provider could not confirm the customer in time (" + why
                                + "); nothing was registered, retry later",
                        retryAfterS)
                .withReason(why);
    }

    /** 409 for a registration of an id another tenant owns; who owns it is not said. */
    public static Problem ownedElsewhere() {
        return ProblemType.CUSTOMER_OWNED_ELSEWHERE.problem(
                "the customer_id or one of the payment_methods is registered to another tenant; nothing was"
                        + " registered");
    }
}
