package com.streamsocial.billing.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TraceHeadersTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN_ID = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + SPAN_ID + "-01";

    private static Headers kafka(String traceparent, String tracestate) {
        RecordHeaders h = new RecordHeaders();
        if (traceparent != null) {
            h.add(TraceHeaders.TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
        }
        if (tracestate != null) {
            h.add(TraceHeaders.TRACESTATE, tracestate.getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    @Test
    void aKafkaRecordsTraceparentAndTracestateAreRead() {
        SpanContext c = TraceHeaders.fromKafka(kafka(TRACEPARENT, "vendor=abc,other=x"));
        assertThat(c.isValid()).isTrue();
        assertThat(c.isRemote()).isTrue();
        assertThat(c.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(c.getSpanId()).isEqualTo(SPAN_ID);
        assertThat(c.isSampled()).isTrue();
        assertThat(c.getTraceState().get("vendor")).isEqualTo("abc");
    }

    @Test
    void anHttpRequestsTraceparentIsRead() {
        MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Traceparent", TRACEPARENT);
        SpanContext c = TraceHeaders.fromHttp(h);
        assertThat(c.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(c.getSpanId()).isEqualTo(SPAN_ID);
    }

    @Test
    void whatIsWrittenReadsBackTheSame() {
        SpanContext c = SpanContext.create(
                TRACE_ID,
                SPAN_ID,
                TraceFlags.getSampled(),
                TraceState.builder().put("k", "v").build());
        Headers h = TraceHeaders.kafka(c);
        assertThat(new String(h.lastHeader(TraceHeaders.TRACEPARENT).value(), StandardCharsets.UTF_8))
                .isEqualTo(TRACEPARENT);
        assertThat(new String(h.lastHeader(TraceHeaders.TRACESTATE).value(), StandardCharsets.UTF_8))
                .isEqualTo("k=v");
        assertThat(TraceHeaders.fromKafka(h).getTraceId()).isEqualTo(TRACE_ID);
        MultiMap http = MultiMap.caseInsensitiveMultiMap();
        TraceHeaders.toHttp(c, http);
        assertThat(http.get("traceparent")).isEqualTo(TRACEPARENT);
        assertThat(TraceHeaders.fromHttp(http).getSpanId()).isEqualTo(SPAN_ID);
        assertThat(TraceHeaders.traceparent(c)).isEqualTo(TRACEPARENT);
    }

    @Test
    void writingReplacesAHeaderAlreadyThereAndAnInvalidContextWritesNothing() {
        Headers h = kafka("00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01", null);
        TraceHeaders.toKafka(
                SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()), h);
        assertThat(h.headers(TraceHeaders.TRACEPARENT)).hasSize(1);
        assertThat(TraceHeaders.fromKafka(h).getTraceId()).isEqualTo(TRACE_ID);

        assertThat(TraceHeaders.kafka(SpanContext.getInvalid())).isNull();
        MultiMap http = MultiMap.caseInsensitiveMultiMap();
        TraceHeaders.toHttp(SpanContext.getInvalid(), http);
        assertThat(http.isEmpty()).isTrue();
        assertThat(TraceHeaders.traceparent(SpanContext.getInvalid())).isNull();
    }

    @Test
    void missingMalformedAndOversizeHeadersReadAsNoContext() {
        String[] bad = {
            "",
            "00",
            "garbage",
            "00-" + TRACE_ID + "-" + SPAN_ID, // no flags
            "00-" + "0".repeat(32) + "-" + SPAN_ID + "-01", // all-zero trace id
            "00-" + TRACE_ID + "-" + "0".repeat(16) + "-01", // all-zero span id
            "ff-" + TRACE_ID + "-" + SPAN_ID + "-01", // version ff is forbidden
            "00-" + TRACE_ID.toUpperCase() + "x-" + SPAN_ID + "-01",
            "00-" + TRACE_ID + "-" + SPAN_ID + "-zz",
            "00-" + TRACE_ID + "-" + SPAN_ID + "-01" + "-".repeat(600), // oversize
            "\u0000\uFFFF\uD800",
        };
        for (String b : bad) {
            assertThat(TraceHeaders.fromKafka(kafka(b, "vendor=abc")).isValid())
                    .as("kafka %s", b)
                    .isFalse();
            assertThat(TraceHeaders.fromHttp(MultiMap.caseInsensitiveMultiMap().add("traceparent", b))
                            .isValid())
                    .as("http %s", b)
                    .isFalse();
        }
        assertThat(TraceHeaders.fromKafka(new RecordHeaders()).isValid()).isFalse();
        assertThat(TraceHeaders.fromKafka(null).isValid()).isFalse();
        assertThat(TraceHeaders.fromHttp(null).isValid()).isFalse();
        assertThat(TraceHeaders.fromHttp(MultiMap.caseInsensitiveMultiMap()).isValid())
                .isFalse();
        // A header with no value, and bytes that are not UTF-8.
        RecordHeaders nullValue = new RecordHeaders();
        nullValue.add(TraceHeaders.TRACEPARENT, null);
        assertThat(TraceHeaders.fromKafka(nullValue).isValid()).isFalse();
        RecordHeaders notUtf8 = new RecordHeaders();
        notUtf8.add(TraceHeaders.TRACEPARENT, new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, (byte) 0xc3});
        assertThat(TraceHeaders.fromKafka(notUtf8).isValid()).isFalse();
    }

    @Test
    void aMalformedOrOversizeTracestateKeepsTheTraceparent() {
        for (String state : new String[] {"=,=,", "a".repeat(TraceHeaders.VALUE_CHARS_MAX + 1), "k=v\u0000"}) {
            SpanContext c = TraceHeaders.fromKafka(kafka(TRACEPARENT, state));
            assertThat(c.getTraceId()).as(state).isEqualTo(TRACE_ID);
            assertThat(c.getTraceState().isEmpty()).as(state).isTrue();
        }
    }

    @Test
    void aValidTracestateOverTheBoundIsDroppedAndTheTraceparentKept() {
        StringBuilder state = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            state.append(i == 0 ? "" : ",").append("k").append(i).append("=").append("v".repeat(16));
        }
        assertThat(state.length()).isGreaterThan(TraceHeaders.VALUE_CHARS_MAX);
        SpanContext within =
                TraceHeaders.fromKafka(kafka(TRACEPARENT, state.substring(0, state.lastIndexOf(",", 400))));
        assertThat(within.getTraceState().get("k1")).isEqualTo("v".repeat(16));
        SpanContext over = TraceHeaders.fromKafka(kafka(TRACEPARENT, state.toString()));
        assertThat(over.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(over.getTraceState().isEmpty()).isTrue();
        SpanContext overHttp = TraceHeaders.fromHttp(MultiMap.caseInsensitiveMultiMap()
                .add("traceparent", TRACEPARENT)
                .add("tracestate", state.toString()));
        assertThat(overHttp.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(overHttp.getTraceState().isEmpty()).isTrue();
    }

    @Test
    void randomBytesNeverThrowAndNeverReadAsAContextByChance() {
        Random random = new Random(21);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(80)];
            random.nextBytes(b);
            if (i % 2 == 0 && b.length > 3) {
                // Half of them look like the start of a traceparent, to reach past the first check.
                b[0] = '0';
                b[1] = '0';
                b[2] = '-';
            }
            RecordHeaders h = new RecordHeaders();
            h.add(TraceHeaders.TRACEPARENT, b);
            h.add(TraceHeaders.TRACESTATE, b);
            assertThat(TraceHeaders.fromKafka(h).isValid()).isFalse();
        }
    }

    @Test
    void theNoOpTracerCarriesTheParentOnAndStartsNoTraceOfItsOwn() {
        SpanContext parent =
                TraceHeaders.fromHttp(MultiMap.caseInsensitiveMultiMap().add("traceparent", TRACEPARENT));
        Tracing off = Tracing.off();
        assertThat(off.start("x", SpanKind.SERVER, parent).getSpanContext()).isEqualTo(parent);
        assertThat(off.start("x", SpanKind.SERVER, SpanContext.getInvalid())
                        .getSpanContext()
                        .isValid())
                .isFalse();
        assertThat(Tracing.start(TracingSettings.off("test"))
                        .start("x", SpanKind.SERVER, parent)
                        .isRecording())
                .isFalse();
    }

    @Test
    void aRecordingTracerMakesAChildOfTheParentOrANewTrace() {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .build()) {
            Tracing tracing = Tracing.of(sdk);
            SpanContext parent = TraceHeaders.fromKafka(kafka(TRACEPARENT, null));
            SpanContext child =
                    tracing.start("child", SpanKind.CONSUMER, parent).getSpanContext();
            assertThat(child.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(child.getSpanId()).isNotEqualTo(SPAN_ID);
            SpanContext root = tracing.start("root", SpanKind.SERVER, SpanContext.getInvalid())
                    .getSpanContext();
            assertThat(root.isValid()).isTrue();
            assertThat(root.getTraceId()).isNotEqualTo(TRACE_ID);
        }
    }
}
