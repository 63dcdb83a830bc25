package com.streamsocial.billing.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) read from and written to HTTP headers
 * and Kafka record headers. Reading is total: a missing, malformed or oversize header reads as no
 * context ({@link SpanContext#getInvalid()}), never as an exception; the caller then starts a new trace.
 */
public final class TraceHeaders {
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";

    /**
     * A header value read, at most, in characters: a {@code traceparent} has 55, and W3C asks that at
     * least 512 of a {@code tracestate} be propagated. A longer value is ignored, unparsed.
     */
    public static final int VALUE_CHARS_MAX = 512;

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final List<String> FIELDS = List.of(TRACEPARENT, TRACESTATE);

    private static final TextMapGetter<Headers> KAFKA_GETTER = bounded((carrier, key) -> {
        Header h = carrier.lastHeader(key);
        byte[] v = h == null ? null : h.value();
        // Bounded before decoding: a UTF-8 string has at most as many characters as bytes.
        return v == null || v.length > VALUE_CHARS_MAX ? null : new String(v, StandardCharsets.UTF_8);
    });

    private static final TextMapSetter<Headers> KAFKA_SETTER = (carrier, key, value) -> {
        carrier.remove(key);
        carrier.add(key, value.getBytes(StandardCharsets.UTF_8));
    };

    private static final TextMapGetter<MultiMap> HTTP_GETTER = bounded(MultiMap::get);

    private static final TextMapSetter<MultiMap> HTTP_SETTER = (carrier, key, value) -> carrier.set(key, value);

    private TraceHeaders() {}

    /** The context a Kafka record carries, or the invalid one when it carries none that parses. */
    public static SpanContext fromKafka(Headers headers) {
        return extract(headers, KAFKA_GETTER);
    }

    /** The context an HTTP request carries, or the invalid one when it carries none that parses. */
    public static SpanContext fromHttp(MultiMap headers) {
        return extract(headers, HTTP_GETTER);
    }

    /**
     * Record headers carrying {@code context}, for a new {@code ProducerRecord}; null (no headers,
     * nothing allocated) when it is invalid, as it is for every record while tracing is off.
     */
    public static Headers kafka(SpanContext context) {
        if (context == null || !context.isValid()) {
            return null;
        }
        RecordHeaders headers = new RecordHeaders();
        toKafka(context, headers);
        return headers;
    }

    /** Sets {@code context}'s headers on {@code headers}, replacing any; nothing when it is invalid. */
    public static void toKafka(SpanContext context, Headers headers) {
        if (context != null && context.isValid()) {
            W3C.inject(Context.root().with(Span.wrap(context)), headers, KAFKA_SETTER);
        }
    }

    /** Sets {@code context}'s headers on an outgoing HTTP request's {@code headers}; nothing when invalid. */
    public static void toHttp(SpanContext context, MultiMap headers) {
        if (context != null && context.isValid()) {
            W3C.inject(Context.root().with(Span.wrap(context)), headers, HTTP_SETTER);
        }
    }

    /** The {@code traceparent} value of {@code context} (null when invalid): for logs and tests. */
    public static String traceparent(SpanContext context) {
        if (context == null || !context.isValid()) {
            return null;
        }
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-"
                + context.getTraceFlags().asHex();
    }

    /** A getter of the two fields through {@code lookup}: null for a missing carrier or a value over the bound. */
    private static <C> TextMapGetter<C> bounded(BiFunction<C, String, String> lookup) {
        return new TextMapGetter<>() {
            @Override
            public Iterable<String> keys(C carrier) {
                return FIELDS;
            }

            @Override
            public String get(C carrier, String key) {
                String v = carrier == null ? null : lookup.apply(carrier, key);
                return v == null || v.length() > VALUE_CHARS_MAX ? null : v;
            }
        };
    }

    private static <C> SpanContext extract(C carrier, TextMapGetter<C> getter) {
        if (carrier == null || getter.get(carrier, TRACEPARENT) == null) {
            return SpanContext.getInvalid(); // the common case, with tracing off: no context at all
        }
        try {
            return Span.fromContext(W3C.extract(Context.root(), carrier, getter))
                    .getSpanContext();
        } catch (RuntimeException e) {
            // The propagator is total as written; this keeps a future change of it from failing a batch.
            return SpanContext.getInvalid();
        }
    }
}
