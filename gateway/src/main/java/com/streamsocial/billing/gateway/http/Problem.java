package com.streamsocial.billing.gateway.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An RFC 9457 problem detail. Every error the gateway sends is one of these, served as
 * {@code application/problem+json}; {@code errors} names each offending field.
 */
public record Problem(
        int status, String slug, String title, String detail, List<FieldError> errors, Integer retryAfterS) {

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
        return new Problem(400, "invalid-request", "The request is invalid", detail, List.copyOf(errors), null);
    }

    public static Problem unavailable(String slug, String detail, int retryAfterS) {
        return new Problem(503, slug, "Service temporarily unavailable", detail, List.of(), retryAfterS);
    }

    public String type() {
        return TYPE_PREFIX + slug;
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
