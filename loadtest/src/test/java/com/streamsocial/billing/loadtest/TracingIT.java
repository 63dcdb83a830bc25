package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.tracing.TraceHeaders;
import com.streamsocial.billing.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tracing across the pipeline (issue 21 §3) on a real broker and PostgreSQL, with the sandbox: a
 * payment's and a refund's W3C {@code traceparent} goes from the HTTP request into its Kafka record,
 * into the processor's span, into the client span of the provider's HTTP call and onto that call,
 * the spans kept in memory. A request with no
 * traceparent, or one that does not parse, starts a new trace and is accepted as any other.
 */
class TracingIT {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
    private static OpenTelemetrySdk sdk;
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(SPANS))
                        .build())
                .build();
        stack = ProviderStack.start(SandboxFaults.NONE, Tracing.of(sdk));
        processor = stack.startProcessor(ProviderStack.QUICK_RETRIES, Tracing.of(sdk));
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
        sdk.close();
    }

    /** A W3C traceparent of a new, random trace and parent span, sampled. */
    static String newTraceparent() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "00-" + TraceId.fromLongs(r.nextLong(1, Long.MAX_VALUE), r.nextLong()) + "-"
                + SpanId.fromLong(r.nextLong(1, Long.MAX_VALUE)) + "-01";
    }

    static String traceId(String traceparent) {
        return traceparent.split("-")[1];
    }

    static String spanId(String traceparent) {
        return traceparent.split("-")[2];
    }

    /** A header of the committed record keyed {@code key} on {@code topic}; empty when it has none. */
    static Optional<String> recordHeader(ProviderStack stack, String topic, String key, String header) {
        for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(stack.infra.kafkaBootstrap(), topic, true)) {
            if (key.equals(r.key())) {
                Header h = r.headers().lastHeader(header);
                return Optional.ofNullable(h).map(v -> new String(v.value(), StandardCharsets.UTF_8));
            }
        }
        throw new AssertionError("no record keyed " + key + " on " + topic);
    }

    /** The traceparent of the sandbox's latest call under {@code key} (an idempotency key), once it has one. */
    static String providerTraceparent(ProviderStack stack, String key) throws Exception {
        String[] found = new String[1];
        assertThat(Await.until(
                        () -> {
                            for (Object o : stack.get(stack.sandboxUrl() + "/sandbox/traces")
                                    .getJsonArray("calls")) {
                                JsonObject call = (JsonObject) o;
                                if (key.equals(call.getString("key"))) {
                                    found[0] = call.getString("traceparent");
                                }
                            }
                            return found[0] != null;
                        },
                        60_000))
                .as("the sandbox received a call under %s with a traceparent", key)
                .isTrue();
        return found[0];
    }

    /** The one finished span named {@code name} in {@code traceId}, once there is one. */
    private static SpanData span(String name, String traceId) throws Exception {
        assertThat(Await.until(() -> spans(name, traceId).size() == 1, 60_000))
                .as("one span %s in trace %s: %s", name, traceId, SPANS.getFinishedSpanItems())
                .isTrue();
        return spans(name, traceId).get(0);
    }

    private static List<SpanData> spans(String name, String traceId) {
        return SPANS.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name) && s.getTraceId().equals(traceId))
                .toList();
    }

    @Test
    void aPaymentsTraceGoesFromItsRequestThroughKafkaAndTheProcessorToTheProvider() throws Exception {
        String incoming = newTraceparent();
        String key = "traced-" + RUN;
        HttpResponse<String> r = stack.pay(
                key, 1_250, "pm_card_visa", Map.of("traceparent", incoming, "tracestate", "vendor=streamsocial"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);

        // The gateway's span continues the request's trace.
        SpanData gateway = span("POST /v1/payments", traceId(incoming));
        assertThat(gateway.getParentSpanId()).isEqualTo(spanId(incoming));
        // The billing record carries the trace on, from the gateway's span, with the tracestate.
        String published = recordHeader(stack, Topics.BILLING, id, TraceHeaders.TRACEPARENT)
                .orElseThrow(() -> new AssertionError("the billing record has no traceparent"));
        assertThat(traceId(published)).isEqualTo(traceId(incoming));
        assertThat(spanId(published)).isEqualTo(gateway.getSpanId());
        assertThat(recordHeader(stack, Topics.BILLING, id, TraceHeaders.TRACESTATE))
                .contains("vendor=streamsocial");

        // The processor's span of this payment is the child of the record's context (the gateway's span).
        SpanData processed = span("process payment", traceId(incoming));
        assertThat(processed.getParentSpanId()).isEqualTo(gateway.getSpanId());
        assertThat(processed.getAttributes().asMap().toString()).contains(id).contains("succeeded");

        // The provider's HTTP call is a client span, the child of the processor's span, and the call
        // carries the client span's context: client -> gateway -> processor -> provider client -> provider.
        SpanData client = span("POST /v1/payment_intents", traceId(incoming));
        assertThat(client.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(client.getParentSpanId()).isEqualTo(processed.getSpanId());
        assertThat(client.getAttributes().get(AttributeKey.stringKey("http.request.method")))
                .isEqualTo("POST");
        assertThat(client.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                .isEqualTo(200L);
        String atProvider = providerTraceparent(stack, id);
        assertThat(traceId(atProvider)).isEqualTo(traceId(incoming));
        assertThat(spanId(atProvider)).isEqualTo(client.getSpanId());
        // The trace as docs/OPERATIONS.md shows it.
        System.out.printf("trace %s (incoming parent %s)%n", traceId(incoming), spanId(incoming));
        for (SpanData s : List.of(gateway, processed, client)) {
            System.out.printf(
                    "  span %s %s parent=%s kind=%s %d µs %s%n",
                    s.getSpanId(),
                    s.getName(),
                    s.getParentSpanId(),
                    s.getKind(),
                    (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1_000,
                    s.getAttributes());
        }
        System.out.printf("  billing record traceparent %s%n  provider call traceparent %s%n", published, atProvider);
    }

    @Test
    void aRequestWithoutATraceparentOrWithOneThatDoesNotParseStartsANewTrace() throws Exception {
        for (String header :
                new String[] {null, "00-not-a-trace-01", "00-" + "0".repeat(32) + "-" + "1".repeat(16) + "-01"}) {
            String key = "new-trace-" + (header == null ? "none" : header.length()) + "-" + RUN;
            HttpResponse<String> r =
                    stack.pay(key, 300, "pm_card_visa", header == null ? Map.of() : Map.of("traceparent", header));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            String id = PaymentIds.paymentId("default", key);
            String published = recordHeader(stack, Topics.BILLING, id, TraceHeaders.TRACEPARENT)
                    .orElseThrow(() -> new AssertionError("no traceparent on " + id));
            SpanData gateway = span("POST /v1/payments", traceId(published));
            assertThat(gateway.getParentSpanContext().isValid())
                    .as("a root span for %s", header)
                    .isFalse();
            assertThat(span("process payment", traceId(published)).getParentSpanId())
                    .isEqualTo(gateway.getSpanId());
            assertThat(traceId(providerTraceparent(stack, id))).isEqualTo(traceId(published));
        }
    }

    @Test
    void aRefundsTraceGoesFromItsRequestThroughKafkaAndTheProcessorToTheProvider() throws Exception {
        String id = stack.paid("refund-traced-" + RUN, 900);
        String incoming = newTraceparent();
        HttpResponse<String> r = stack.refundAsync(id, "rt-" + RUN, "{\"amount\":400}", Map.of("traceparent", incoming))
                .get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String refundId = new JsonObject(r.body()).getString("id");

        SpanData gateway = span("POST /v1/payments/{id}/refunds", traceId(incoming));
        assertThat(gateway.getParentSpanId()).isEqualTo(spanId(incoming));
        String published = recordHeader(stack, Topics.REFUNDS, id, TraceHeaders.TRACEPARENT)
                .orElseThrow(() -> new AssertionError("the refund record has no traceparent"));
        assertThat(spanId(published)).isEqualTo(gateway.getSpanId());
        SpanData processed = span("process refund", traceId(incoming));
        assertThat(processed.getParentSpanId()).isEqualTo(gateway.getSpanId());
        assertThat(processed.getAttributes().asMap().toString()).contains(refundId);
        SpanData client = span("POST /v1/refunds", traceId(incoming));
        assertThat(client.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(client.getParentSpanId()).isEqualTo(processed.getSpanId());
        String atProvider = providerTraceparent(stack, com.streamsocial.billing.refund.RefundIds.providerKey(refundId));
        assertThat(traceId(atProvider)).isEqualTo(traceId(incoming));
        assertThat(spanId(atProvider)).isEqualTo(client.getSpanId());
    }
}
