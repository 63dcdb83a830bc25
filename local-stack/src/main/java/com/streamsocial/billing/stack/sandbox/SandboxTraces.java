package com.streamsocial.billing.stack.sandbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;

/**
 * The provider API calls that came with a W3C {@code traceparent}, the latest {@link #KEPT_MAX} kept in
 * memory and listed by {@code GET /sandbox/traces}: how a test sees that a payment's trace reached the
 * provider. A call without the header is not kept.
 */
final class SandboxTraces {
    /** Calls kept, at most; the oldest goes first. */
    static final int KEPT_MAX = 1_000;

    private final ArrayDeque<JsonObject> kept = new ArrayDeque<>();

    /** A route handler: notes the call when it carries a {@code traceparent}, then goes on. */
    void record(RoutingContext ctx) {
        String traceparent = ctx.request().getHeader("traceparent");
        if (traceparent != null) {
            String key = ctx.request().getHeader("Idempotency-Key");
            JsonObject call = new JsonObject()
                    .put("method", ctx.request().method().name())
                    .put("path", ctx.request().path())
                    .put("traceparent", traceparent)
                    .put("tracestate", ctx.request().getHeader("tracestate"))
                    .put("key", key != null ? key : ctx.request().getHeader("PayPal-Request-Id"));
            synchronized (kept) {
                if (kept.size() >= KEPT_MAX) {
                    kept.removeFirst();
                }
                kept.addLast(call);
            }
        }
        ctx.next();
    }

    /** {@code GET /sandbox/traces}: the calls kept, oldest first. */
    void list(RoutingContext ctx) {
        JsonArray calls;
        synchronized (kept) {
            calls = new JsonArray(new java.util.ArrayList<>(kept));
        }
        ctx.json(new JsonObject().put("calls", calls));
    }
}
