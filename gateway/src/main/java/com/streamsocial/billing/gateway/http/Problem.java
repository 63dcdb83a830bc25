package com.streamsocial.billing.gateway.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An RFC 9457 problem detail. Every error the gateway sends is one of these, served as
 * {@code application/problem+json}; {@code errors} names each offending field. Its status, slug and
 * title come from the catalogue, {@link ProblemType}.
 */
public record Problem(
        int status,
        String slug,
        String title,
        String detail,
        List<FieldError> errors,
        Integer retryAfterS,
        String reason) {

    /** Without a {@code reason} member: most problems' type says it all. */
    public Problem(int status, String slug, String title, String detail, List<FieldError> errors, Integer retryAfterS) {
        this(status, slug, title, detail, errors, retryAfterS, null);
    }

    /** This problem with a {@code reason} member (a closed set per type, e.g. {@code tenant_mismatch}). */
    public Problem withReason(String why) {
        return new Problem(status, slug, title, detail, errors, retryAfterS, why);
    }

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_PREFIX = "https://billing.streamsocial.dev/problems/";

    public record FieldError(String field, String detail) {}

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(status, slug, title, detail, List.of(), null);
    }

    public static Problem invalid(List<FieldError> errors) {
        String detail = errors.size() == 1
                ? errors.get(0).field() + ": " + errors.get(0).detail()
                : errors.size() + " fields are invalid";
        return ProblemType.INVALID_REQUEST.problem(detail, List.copyOf(errors));
    }

    /** A 503 named by its reason: the catalogue's type for a known one, else the reason as the slug. */
    public static Problem unavailable(String slug, String detail, int retryAfterS) {
        ProblemType t = ProblemType.ofUnavailableReason(slug);
        return t != null
                ? t.problem(detail, retryAfterS)
                : new Problem(503, slug, ProblemType.UNAVAILABLE.title(), detail, List.of(), retryAfterS);
    }

    public String type() {
        return TYPE_PREFIX + slug;
    }

    /**
     * The body as {@code toJson(instance).encode()} writes it, byte for byte, without building a
     * {@link JsonObject}: a flood's {@code 401}/{@code 429} answers spent 9 % of the event loops' samples in
     * {@code JsonObject.encode} (docs/BENCHMARKS.md, 2026-12-07 afternoon). Field errors are rare: they go
     * through {@link #toJson}.
     */
    public String encode(String instance) {
        if (!errors.isEmpty() || reason != null) {
            return toJson(instance).encode();
        }
        StringBuilder b = new StringBuilder(160);
        b.append("{\"type\":");
        quoted(b, type());
        b.append(",\"title\":");
        quoted(b, title);
        b.append(",\"status\":").append(status).append(",\"detail\":");
        quoted(b, detail);
        if (instance != null) {
            b.append(",\"instance\":");
            quoted(b, instance);
        }
        return b.append('}').toString();
    }

    private static void quoted(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, b);
        b.append('"');
    }

    public JsonObject toJson(String instance) {
        JsonObject json = new JsonObject()
                .put("type", type())
                .put("title", title)
                .put("status", status)
                .put("detail", detail);
        if (instance != null) {
            json.put("instance", instance);
        }
        if (reason != null) {
            json.put("reason", reason);
        }
        if (!errors.isEmpty()) {
            JsonArray arr = new JsonArray();
            for (FieldError e : errors) {
                arr.add(new JsonObject().put("field", e.field()).put("detail", e.detail()));
            }
            json.put("errors", arr);
        }
        return json;
    }
}
