package com.streamsocial.billing.gateway.tracing;

import com.streamsocial.billing.tracing.TraceHeaders;
import com.streamsocial.billing.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The server span of each traced API request, the child of the request's {@code traceparent} (a new
 * trace when it has none, or one that does not parse), ended when its response is. Its context is
 * what the request's Kafka record carries on ({@link #of}).
 */
public final class RequestSpans {
    private static final String SPAN = "billing.requestSpan";
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private final Tracing tracing;

    public RequestSpans(Tracing tracing) {
        this.tracing = tracing;
    }

    /** A route handler that starts the span {@code name} (the route: {@code POST /v1/payments}), then goes on. */
    public Handler<RoutingContext> handler(String name) {
        return ctx -> {
            Span span = tracing.start(
                    name, SpanKind.SERVER, TraceHeaders.fromHttp(ctx.request().headers()));
            ctx.put(SPAN, span);
            ctx.addEndHandler(ended -> {
                if (span.isRecording()) {
                    int status = ctx.response().getStatusCode();
                    span.setAttribute(STATUS, (long) status);
                    if (status >= 500 || ended.failed()) {
                        span.setStatus(StatusCode.ERROR);
                    }
                }
                span.end();
            });
            ctx.next();
        };
    }

    /** The request's span context: what its records carry; invalid when the request has no span. */
    public static SpanContext of(RoutingContext ctx) {
        Span span = ctx.get(SPAN);
        return span == null ? SpanContext.getInvalid() : span.getSpanContext();
    }
}
