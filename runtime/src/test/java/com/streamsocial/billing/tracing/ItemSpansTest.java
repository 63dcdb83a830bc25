package com.streamsocial.billing.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ItemSpansTest {
    private record Item(String id, SpanContext parent) {}

    private static final SpanContext PARENT_A = SpanContext.createFromRemoteParent(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    /** Spans started, ended or not: a repeated id must not start a second one that is never ended. */
    private final AtomicInteger started = new AtomicInteger();

    private OpenTelemetrySdk sdk;

    @BeforeEach
    void sdk() {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exported))
                        .addSpanProcessor(new SpanProcessor() {
                            @Override
                            public void onStart(Context parent, ReadWriteSpan span) {
                                started.incrementAndGet();
                            }

                            @Override
                            public boolean isStartRequired() {
                                return true;
                            }

                            @Override
                            public void onEnd(ReadableSpan span) {}

                            @Override
                            public boolean isEndRequired() {
                                return false;
                            }
                        })
                        .build())
                .build();
    }

    @AfterEach
    void close() {
        sdk.close();
    }

    private SpanData finished(String id) {
        return exported.getFinishedSpanItems().stream()
                .filter(s -> id.equals(s.getAttributes().get(ItemSpans.ID)))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void eachItemGetsOneSpanUnderItsOwnParentEndedWithItsOutcome() {
        List<Item> items =
                List.of(new Item("a", PARENT_A), new Item("b", SpanContext.getInvalid()), new Item("a", PARENT_A));
        ItemSpans spans = ItemSpans.start(Tracing.of(sdk), "process", items, Item::id, Item::parent);
        assertThat(spans.context("a").getTraceId()).isEqualTo(PARENT_A.getTraceId());
        assertThat(spans.context("b").getTraceId()).isNotEqualTo(PARENT_A.getTraceId());
        assertThat(spans.context("c").isValid()).isFalse();
        assertThat(exported.getFinishedSpanItems()).isEmpty();

        spans.end(Map.of("a", "succeeded"), "pending");
        assertThat(exported.getFinishedSpanItems()).hasSize(2);
        assertThat(started).hasValue(2);
        assertThat(finished("a").getParentSpanId()).isEqualTo(PARENT_A.getSpanId());
        assertThat(finished("a").getAttributes().get(ItemSpans.OUTCOME)).isEqualTo("succeeded");
        assertThat(finished("b").getParentSpanContext().isValid()).isFalse();
        assertThat(finished("b").getAttributes().get(ItemSpans.OUTCOME)).isEqualTo("pending");
    }

    @Test
    void aFailedBatchEndsEverySpanAsAnError() {
        ItemSpans spans =
                ItemSpans.start(Tracing.of(sdk), "process", List.of(new Item("a", PARENT_A)), Item::id, Item::parent);
        spans.fail(new IllegalStateException("boom"));
        assertThat(finished("a").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(finished("a").getAttributes().get(ItemSpans.OUTCOME)).isEqualTo("batch_failed");
    }

    @Test
    void withTracingOffAnItemsContextIsItsRecordsOwn() {
        ItemSpans spans =
                ItemSpans.start(Tracing.off(), "process", List.of(new Item("a", PARENT_A)), Item::id, Item::parent);
        assertThat(spans.context("a")).isEqualTo(PARENT_A);
        spans.end(Map.of(), "pending");
        assertThat(exported.getFinishedSpanItems()).isEmpty();
    }
}
