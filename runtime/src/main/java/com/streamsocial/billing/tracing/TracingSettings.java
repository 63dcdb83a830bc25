package com.streamsocial.billing.tracing;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;

/**
 * The tracing settings both services read alike (issue 21 §3). Export is off unless {@code
 * tracing.otlpEndpoint} names an OTLP/HTTP collector; trace context is propagated either way.
 */
public record TracingSettings(String otlpEndpoint, String serviceName, int samplePercent, int exportQueueMax) {

    /** Spans waiting for the exporter, at most, by default: beyond, new spans are dropped (and counted). */
    public static final int EXPORT_QUEUE_MAX_DEFAULT = 2_048;

    public TracingSettings {
        Check.argument(
                samplePercent >= 0 && samplePercent <= 100,
                "tracing.samplePercent must be 0..100, got %d",
                samplePercent);
        Check.argument(
                exportQueueMax >= 1 && exportQueueMax <= 1_000_000,
                "tracing.exportQueueMax must be 1..1000000, got %d",
                exportQueueMax);
        Check.argument(
                otlpEndpoint == null || otlpEndpoint.startsWith("http://") || otlpEndpoint.startsWith("https://"),
                "tracing.otlpEndpoint must be an http:// or https:// URL (OTLP over HTTP), got '%s'",
                otlpEndpoint);
    }

    /** No export: what tests and the defaults use. */
    public static TracingSettings off(String serviceName) {
        return new TracingSettings(null, serviceName, 100, EXPORT_QUEUE_MAX_DEFAULT);
    }

    /** {@code role}'s settings; its spans are named for the service {@code tracing.serviceName} (the role by default). */
    public static TracingSettings from(Settings s, String role) {
        return new TracingSettings(
                s.string("tracing.otlpEndpoint", null),
                s.string("tracing.serviceName", "billing-" + role),
                s.integer("tracing.samplePercent", 100),
                s.integer("tracing.exportQueueMax", EXPORT_QUEUE_MAX_DEFAULT));
    }

    /** Whether spans are recorded and exported. */
    public boolean exporting() {
        return otlpEndpoint != null;
    }
}
