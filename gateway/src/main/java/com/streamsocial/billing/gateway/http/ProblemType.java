package com.streamsocial.billing.gateway.http;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalogue of every problem the gateway answers with: each type's status, slug and title named
 * once, here (as the Strimzi bridge names its error codes in one enum). A call site adds only what
 * varies, the detail, the field errors and the Retry-After; the docs' problem list follows this enum.
 */
public enum ProblemType {
    INVALID_REQUEST(400, "invalid-request", "The request is invalid"),
    MALFORMED_JSON(400, "malformed-json", "The body is not valid JSON"),
    MALFORMED_HEADER(400, "malformed-header", "A request header is not acceptable"),
    MALFORMED_REQUEST(400, "malformed-request", "The request is not valid HTTP"),
    MISSING_IDEMPOTENCY_KEY(400, "missing-idempotency-key", "Idempotency-Key header is required"),
    INVALID_IDEMPOTENCY_KEY(400, "invalid-idempotency-key", "Idempotency-Key header is invalid"),
    WEBHOOK_SIGNATURE_MISSING(400, "webhook-signature-missing", ProblemType.WEBHOOK_SIGNATURE_REFUSED),
    WEBHOOK_SIGNATURE_MALFORMED(400, "webhook-signature-malformed", ProblemType.WEBHOOK_SIGNATURE_REFUSED),
    WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE(
            400, "webhook-timestamp-out-of-tolerance", ProblemType.WEBHOOK_SIGNATURE_REFUSED),
    WEBHOOK_SIGNATURE_INVALID(400, "webhook-signature-invalid", ProblemType.WEBHOOK_SIGNATURE_REFUSED),
    UNAUTHORIZED(401, "unauthorized", "A valid API key is required"),
    NOT_FOUND(404, "not-found", "Not found"),
    PAYMENT_NOT_FOUND(404, "payment-not-found", "Payment not found"),
    METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed"),
    REQUEST_TIMEOUT(408, "request-timeout", "The request was not read in time"),
    REQUEST_IN_FLIGHT(409, "request-in-flight", "A request with this key is in progress"),
    CUSTOMER_OWNED_ELSEWHERE(409, "customer-owned-elsewhere", "Customer or payment method already registered"),
    BODY_TOO_LARGE(413, "body-too-large", "The body is too large"),
    WEBHOOK_BODY_TOO_LARGE(413, "payload-too-large", "The webhook body is too large"),
    REQUEST_LINE_TOO_LONG(414, "request-line-too-long", "The request line is too long"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "Unsupported media type"),
    IDEMPOTENCY_KEY_REUSED(422, "idempotency-key-reused", "Idempotency-Key reused with a different request"),
    CARD_DATA_REFUSED(422, "card-data-refused", "Raw card data is not accepted"),
    CUSTOMER_NOT_OWNED(422, "customer-not-owned", "Customer or payment method not owned"),
    CUSTOMER_NOT_VERIFIED(422, "customer-not-verified", "The provider does not confirm this customer as the tenant's"),
    RATE_LIMITED(429, "rate-limited", "Too many requests"),
    AUTH_THROTTLED(429, "auth-throttled", "Too many refused API keys"),
    QUEUE_SHARE_EXCEEDED(429, "queue-share-exceeded", "This tenant's share of the queue is full"),
    HEADERS_TOO_LARGE(431, "headers-too-large", "The request headers are too large"),
    INTERNAL_ERROR(500, "internal-error", "Internal error"),
    // 503s: their slugs are the reasons the lanes and stores give (snake_case, as clients match them).
    UNAVAILABLE(503, "unavailable", ProblemType.UNAVAILABLE_TITLE),
    DRAINING(503, "draining", ProblemType.UNAVAILABLE_TITLE),
    LEASE_SUSPECT(503, "lease_suspect", ProblemType.UNAVAILABLE_TITLE),
    AUTH_UNAVAILABLE(503, "auth_unavailable", ProblemType.UNAVAILABLE_TITLE),
    STORE_UNAVAILABLE(503, "store_unavailable", ProblemType.UNAVAILABLE_TITLE),
    STORE_BEHIND(503, "store_behind", ProblemType.UNAVAILABLE_TITLE),
    QUEUE_FULL(503, "queue_full", ProblemType.UNAVAILABLE_TITLE),
    TRANSACTION_FAILED(503, "transaction_failed", ProblemType.UNAVAILABLE_TITLE),
    WEBHOOK_UNAVAILABLE(503, "webhook_unavailable", ProblemType.UNAVAILABLE_TITLE),
    PROVIDER_UNAVAILABLE(503, "provider_unavailable", ProblemType.UNAVAILABLE_TITLE);

    private static final String WEBHOOK_SIGNATURE_REFUSED = "The webhook's signature is refused";
    private static final String UNAVAILABLE_TITLE = "Service temporarily unavailable";

    private static final Map<String, ProblemType> BY_SLUG = new HashMap<>();

    static {
        for (ProblemType t : values()) {
            BY_SLUG.put(t.slug, t);
        }
    }

    private final int status;
    private final String slug;
    private final String title;

    ProblemType(int status, String slug, String title) {
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public Problem problem(String detail) {
        return new Problem(status, slug, title, detail, List.of(), null);
    }

    public Problem problem(String detail, List<Problem.FieldError> errors) {
        return new Problem(status, slug, title, detail, errors, null);
    }

    public Problem problem(String detail, Integer retryAfterS) {
        return new Problem(status, slug, title, detail, List.of(), retryAfterS);
    }

    /** The type a 503 reason names ({@code draining}, {@code queue_full}...), or null for another. */
    public static ProblemType ofUnavailableReason(String reason) {
        ProblemType t = BY_SLUG.get(reason);
        return t != null && t.status == 503 ? t : null;
    }
}
