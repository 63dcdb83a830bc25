package com.streamsocial.billing.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's tracer: OpenTelemetry's SDK exporting over OTLP when {@link TracingSettings#exporting()},
 * else the API's no-op tracer, whose spans record nothing but still carry an incoming trace context
 * on to Kafka and the provider ({@link TraceHeaders}), so a trace stays connected across services.
 */
public final class Tracing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);

    /** The instrumentation scope every span of this project is made under. */
    public static final String SCOPE = "com.streamsocial.billing";

    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    /** How long closing waits for the last spans to be exported. */
    private static final long SHUTDOWN_MS = 5_000;

    private final Tracer tracer;
    /** Set when this object made the SDK and so closes it; null for the no-op and for one given. */
    private final SdkTracerProvider owned;

    private Tracing(Tracer tracer, SdkTracerProvider owned) {
        this.tracer = tracer;
        this.owned = owned;
    }

    /** The no-op tracer: propagation only, no span recorded. */
    public static Tracing off() {
        return new Tracing(OpenTelemetry.noop().getTracer(SCOPE), null);
    }

    /** Spans made by {@code openTelemetry}, which the caller owns and closes (tests: an in-memory exporter). */
    public static Tracing of(OpenTelemetry openTelemetry) {
        return new Tracing(openTelemetry.getTracer(SCOPE), null);
    }

    /** As {@code settings} say: the OTLP exporter when an endpoint is set, else {@link #off()}. */
    public static Tracing start(TracingSettings settings) {
        if (!settings.exporting()) {
            return off();
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(settings.otlpEndpoint())
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(Attributes.of(SERVICE_NAME, settings.serviceName()))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.samplePercent() / 100.0)))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setMaxQueueSize(settings.exportQueueMax())
                        .build())
                .build();
        log.info(
                "tracing: spans of {} exported to {} ({} % of new traces sampled)",
                settings.serviceName(), settings.otlpEndpoint(), settings.samplePercent());
        return new Tracing(provider.get(SCOPE), provider);
    }

    public Tracer tracer() {
        return tracer;
    }

    /**
     * A span that continues {@code parent} (a remote context read from a header), or begins a new
     * trace when {@code parent} is invalid. With the no-op tracer it records nothing and its context
     * is the parent's: what is propagated onwards is then the incoming context unchanged.
     */
    public Span start(String name, SpanKind kind, SpanContext parent) {
        SpanBuilder b = tracer.spanBuilder(name).setSpanKind(kind);
        if (parent != null && parent.isValid()) {
            b.setParent(Context.root().with(Span.wrap(parent)));
        } else {
            b.setNoParent();
        }
        return b.startSpan();
    }

    /** {@link #close()} on a worker thread of {@code vertx}, never on an event loop. */
    public Future<Void> close(Vertx vertx) {
        return owned == null
                ? Future.succeededFuture()
                : vertx.executeBlocking(() -> {
                    close();
                    return null;
                });
    }

    /** Exports what is left and stops the exporter (blocking, bounded): call it off the event loop. */
    @Override
    public void close() {
        if (owned != null) {
            owned.shutdown().join(SHUTDOWN_MS, TimeUnit.MILLISECONDS);
        }
    }
}
