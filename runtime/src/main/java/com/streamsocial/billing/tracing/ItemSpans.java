package com.streamsocial.billing.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One span per item of a batch (a payment, a refund), each the child of the trace context its own
 * record carried, so every item's trace goes on through the batch; ended together once the batch is
 * decided. An item's {@link #context} is what its provider call carries onwards.
 */
public final class ItemSpans {
    /** The item's id, on its span: the payment's or the refund's. */
    public static final AttributeKey<String> ID = AttributeKey.stringKey("billing.id");
    /** How the item ended in this batch: its status, or the batch's failure. */
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("billing.outcome");

    private final Map<String, Span> spans;

    private ItemSpans(Map<String, Span> spans) {
        this.spans = spans;
    }

    /** Starts {@code name} for each item (the first of a repeated id only), under the item's own parent. */
    public static <T> ItemSpans start(
            Tracing tracing, String name, List<T> items, Function<T, String> id, Function<T, SpanContext> parent) {
        Map<String, Span> spans = new HashMap<>(items.size() * 2);
        for (T item : items) {
            String key = id.apply(item);
            if (!spans.containsKey(key)) {
                Span span = tracing.start(name, SpanKind.CONSUMER, parent.apply(item));
                if (span.isRecording()) {
                    span.setAttribute(ID, key);
                }
                spans.put(key, span);
            }
        }
        return new ItemSpans(spans);
    }

    /** The context the item's outgoing calls carry: its span's (the record's own with tracing off). */
    public SpanContext context(String id) {
        Span span = spans.get(id);
        return span == null ? SpanContext.getInvalid() : span.getSpanContext();
    }

    /** Ends every span: with the item's outcome where {@code outcomes} has one, else {@code unsettled}. */
    public void end(Map<String, String> outcomes, String unsettled) {
        spans.forEach((id, span) -> {
            if (span.isRecording()) {
                span.setAttribute(OUTCOME, outcomes.getOrDefault(id, unsettled));
            }
            span.end();
        });
    }

    /** Ends every span as failed: the batch will be read again, and each item gets a new span then. */
    public void fail(Throwable cause) {
        spans.values().forEach(span -> {
            if (span.isRecording()) {
                span.setStatus(StatusCode.ERROR, String.valueOf(cause));
                span.setAttribute(OUTCOME, "batch_failed");
            }
            span.end();
        });
    }
}
