package com.streamsocial.billing.contract;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A small metrics registry rendered in the Prometheus text format (0.0.4). Counters are lock-free
 * {@link LongAdder}s; gauges are read when scraped. Names follow Prometheus conventions, with units.
 */
public final class Metrics {
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();
    private final Map<String, String> help = new ConcurrentHashMap<>();

    /** {@code name} may carry labels: {@code gateway_rejected_total{reason="queue_full"}}. */
    public LongAdder counter(String name, String description) {
        help.putIfAbsent(baseName(name), description);
        return counters.computeIfAbsent(name, k -> new LongAdder());
    }

    public void gauge(String name, String description, LongSupplier value) {
        help.putIfAbsent(baseName(name), description);
        gauges.put(name, value);
    }

    public long value(String name) {
        LongAdder c = counters.get(name);
        if (c != null) {
            return c.sum();
        }
        LongSupplier g = gauges.get(name);
        return g == null ? 0 : g.getAsLong();
    }

    public String render() {
        Map<String, StringBuilder> families = new TreeMap<>();
        counters.forEach((name, adder) -> line(families, name, "counter")
                .append(name)
                .append(' ')
                .append(adder.sum())
                .append('\n'));
        gauges.forEach((name, g) -> line(families, name, "gauge")
                .append(name)
                .append(' ')
                .append(g.getAsLong())
                .append('\n'));
        StringBuilder out = new StringBuilder();
        families.values().forEach(out::append);
        return out.toString();
    }

    private StringBuilder line(Map<String, StringBuilder> families, String name, String type) {
        String base = baseName(name);
        return families.computeIfAbsent(
                base,
                b -> new StringBuilder()
                        .append("# HELP ")
                        .append(b)
                        .append(' ')
                        .append(help.getOrDefault(b, b))
                        .append('\n')
                        .append("# TYPE ")
                        .append(b)
                        .append(' ')
                        .append(type)
                        .append('\n'));
    }

    private static String baseName(String name) {
        int brace = name.indexOf('{');
        return brace < 0 ? name : name.substring(0, brace);
    }
}
