package com.streamsocial.billing.processor;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * The processor's meters in its {@link ServiceMetrics}, by Micrometer name ({@code processor.records}
 * is scraped as {@code processor_records_total}). Tags are closed sets: a stage, a code, a class, an
 * HTTP status, a partition number; never a payment id, a key, a tenant or a secret.
 */
public final class ProcessorMeters {
    private final ServiceMetrics service;
    private final MeterRegistry registry;

    public ProcessorMeters(ServiceMetrics service) {
        this.service = service;
        this.registry = service.registry();
    }

    public ServiceMetrics service() {
        return service;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The counter {@code name} with {@code tags} (key, value, ...), registered on first use. */
    public Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /** A latency timer in seconds, published as a histogram so that quantiles aggregate across instances. */
    public Timer timer(String name, String description, String... tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .publishPercentileHistogram()
                .register(registry);
    }

    /** A gauge read when scraped: {@code value} must be cheap and must not block. */
    public void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }
}
