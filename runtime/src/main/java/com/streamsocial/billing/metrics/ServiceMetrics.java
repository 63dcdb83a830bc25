package com.streamsocial.billing.metrics;

import com.streamsocial.billing.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One service's meters: a Micrometer Prometheus registry with the JVM binders bound, scraped by the
 * service's {@code /metrics} route. A Vert.x instance built by {@link #vertx} also reports its HTTP
 * server and client, pool and event-loop meters into it. Tags must stay bounded: never a payment id,
 * a key, a tenant or a secret.
 */
public final class ServiceMetrics implements AutoCloseable {
    /** The Prometheus text format 0.0.4, what {@link #scrape()} writes. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Vert.x's HTTP server latency: as buckets, so that quantiles aggregate across instances. */
    private static final String VERTX_HTTP_SERVER_TIME = "vertx.http.server.response.time";

    /** The Kafka client metrics kept: the consumer's lag, per partition and its maximum. */
    private static final Set<String> KAFKA_KEPT =
            Set.of("kafka.consumer.fetch.manager.records.lag", "kafka.consumer.fetch.manager.records.lag.max");

    private static final Set<String> LEGACY_TOPIC_TAGS =
            Topics.ALL.stream().map(t -> t.replace('.', '_')).collect(java.util.stream.Collectors.toUnmodifiableSet());

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "netty.eventexecutor.tasks.pending", "Tasks waiting on a Netty event loop (Vert.x's event loops)",
            "netty.allocator.memory.used", "Bytes used by Netty's buffer allocator",
            "netty.allocator.memory.pinned", "Bytes of Netty's allocator pinned by buffers in use",
            "netty.allocator.pooled.arenas", "Arenas of Netty's pooled allocator",
            "netty.allocator.pooled.cache.size", "Cache size of Netty's pooled allocator",
            "netty.allocator.pooled.chunk.size", "Chunk size of Netty's pooled allocator",
            "netty.allocator.pooled.threadlocal.caches", "Thread-local caches of Netty's pooled allocator");

    /** The young collection of each stop-the-world collector, and the cause the JVM reports for it. */
    private static final Map<String, String> YOUNG_PAUSE_CAUSES = Map.of(
            "G1 Young Generation", "G1 Evacuation Pause",
            "PS Scavenge", "Allocation Failure",
            "Copy", "Allocation Failure");

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    /** Vert.x keeps registries by name, JVM-wide: each service's must be its own. */
    private final String vertxRegistryName = "billing-" + UUID.randomUUID();

    public ServiceMetrics() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Of a Kafka client's hundred-odd metrics, the lag per partition; the rest is the broker's and
        // the client's business (and several break Prometheus's naming: _ns, _ms, a _count gauge).
        registry.config()
                .meterFilter(
                        MeterFilter.deny(id -> id.getName().startsWith("kafka.") && !KAFKA_KEPT.contains(id.getName())))
                // Kafka tags a partition's metrics twice, by topic and by its legacy form with the dots
                // made underscores: one series per partition is enough.
                .meterFilter(MeterFilter.deny(
                        // Set.of(...).contains(null) throws: a client-wide metric has no topic tag.
                        id -> id.getName().startsWith("kafka.")
                                && id.getTag("topic") != null
                                && LEGACY_TOPIC_TAGS.contains(id.getTag("topic"))))
                // Nanoseconds in its name, and process_cpu_usage says the same in base units.
                .meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        // Vert.x Web joins every route a request passed ("/v1/>/v1/payments>/v1/payments"):
                        // the last is the one that answered, and reads as the route.
                        String route = id.getTag("route");
                        if (route != null && route.indexOf('>') >= 0) {
                            id = id.replaceTags(
                                    Tags.of(id.getTags()).and("route", route.substring(route.lastIndexOf('>') + 1)));
                        }
                        // A gauge must not end in _count in Prometheus (it reads as a histogram's).
                        if (id.getName().equals("system.cpu.count")) {
                            id = id.withName("system.cpu.available");
                        }
                        // Every family gets HELP text (Netty's binders give none).
                        if (id.getDescription() == null || id.getDescription().isBlank()) {
                            return new Meter.Id(
                                    id.getName(),
                                    Tags.of(id.getTags()),
                                    id.getBaseUnit(),
                                    DESCRIPTIONS.getOrDefault(
                                            id.getName(), id.getName().replace('.', ' ')),
                                    id.getType());
                        }
                        return id;
                    }
                });
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals(VERTX_HTTP_SERVER_TIME)) {
                    return DistributionStatisticConfig.builder()
                            .percentilesHistogram(true)
                            .build()
                            .merge(config);
                }
                return config;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        registerYoungPauses(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
    }

    /**
     * The young collection's pause timer of the collector in use, at 0, with the tags Micrometer's
     * {@link JvmGcMetrics} gives it at the first collection (it registers them only then): so that a
     * fresh service's first scrape has {@code jvm_gc_pause_seconds} and the dashboard's GC panel shows 0
     * rather than "No data". The binder's own registration then finds and records into this timer.
     */
    private static void registerYoungPauses(MeterRegistry registry) {
        for (java.lang.management.GarbageCollectorMXBean bean :
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            String cause = YOUNG_PAUSE_CAUSES.get(bean.getName());
            if (cause != null) {
                io.micrometer.core.instrument.Timer.builder("jvm.gc.pause")
                        .tags("gc", bean.getName(), "action", "end of minor GC", "cause", cause)
                        .description("Time spent in GC pause")
                        .register(registry);
            }
        }
    }

    /**
     * A Vert.x instance reporting into {@code metrics}: HTTP requests by route, method and status (the
     * route template, never the path), pools, and Netty's event loops and allocators.
     */
    public static Vertx vertx(VertxOptions options, ServiceMetrics metrics) {
        MicrometerMetricsOptions micrometer = new MicrometerMetricsOptions()
                .setEnabled(true)
                .setRegistryName(metrics.vertxRegistryName)
                // Bound already in the constructor, for services running on any Vert.x.
                .setJvmMetricsEnabled(false)
                .setNettyMetricsEnabled(true)
                .setLabels(EnumSet.of(
                        Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME));
        return Vertx.builder()
                .with(new VertxOptions(options).setMetricsOptions(micrometer))
                .withMetrics(new MicrometerMetricsFactory(metrics.registry))
                .build();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The registry in the Prometheus text format: the {@code /metrics} body, of type {@link #CONTENT_TYPE}. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * The sum of the counters named {@code name} (Micrometer's name: {@code gateway.requests.shed})
     * whose tags include {@code tags} (key, value, ...); 0 when there is none. For tests and tools.
     */
    public double count(String name, String... tags) {
        double sum = 0;
        for (Meter m : registry.find(name).tags(tags).meters()) {
            if (m instanceof Counter c) {
                sum += c.count();
            } else if (m instanceof FunctionCounter f) {
                sum += f.count();
            }
        }
        return sum;
    }

    /** The value of the gauge named {@code name} with {@code tags}, or NaN when there is none. */
    public double gauge(String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        return g == null ? Double.NaN : g.value();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
