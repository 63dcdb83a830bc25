package com.streamsocial.billing.processor.reconcile;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What one reconciliation run found, and what its repair did. */
public final class ReconcileReport {
    private final Map<BreakClass, Long> counts = new EnumMap<>(BreakClass.class);
    private final Map<BreakClass, List<String>> ids = new EnumMap<>(BreakClass.class);
    private final Map<BreakClass, Long> repaired = new EnumMap<>(BreakClass.class);
    private final Map<String, Long> sourceRecords = new java.util.LinkedHashMap<>();
    /** Lagging payments by the class they would be in once the processor has passed them. */
    private final Map<String, Long> laggingOf = new java.util.TreeMap<>();

    private long elapsedMs;

    public ReconcileReport() {
        for (BreakClass c : BreakClass.values()) {
            counts.put(c, 0L);
            ids.put(c, new ArrayList<>());
            repaired.put(c, 0L);
        }
    }

    void add(BreakClass c, String id, int idsMax) {
        counts.merge(c, 1L, Long::sum);
        if (ids.get(c).size() < idsMax) {
            ids.get(c).add(id);
        }
    }

    void lagging(String wouldBe) {
        laggingOf.merge(wouldBe, 1L, Long::sum);
    }

    void repaired(BreakClass c, long n) {
        repaired.merge(c, n, Long::sum);
    }

    void source(String name, long records) {
        sourceRecords.put(name, records);
    }

    void elapsedMs(long ms) {
        elapsedMs = ms;
    }

    /** Records read from {@code source} (billing, results, provider, group_offsets, ledger); -1 if not read. */
    public long records(String source) {
        return sourceRecords.getOrDefault(source, -1L);
    }

    public long count(BreakClass c) {
        return counts.get(c);
    }

    public List<String> ids(BreakClass c) {
        return List.copyOf(ids.get(c));
    }

    /** Breaks of the counted classes; informational ones (foreign charges) are left out. */
    public long total() {
        return counts.entrySet().stream()
                .filter(e -> e.getKey().counted())
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    public long elapsedMs() {
        return elapsedMs;
    }

    public JsonObject toJson(long fromMs, long toMs, boolean repair) {
        JsonObject breaks = new JsonObject();
        for (BreakClass c : BreakClass.values()) {
            breaks.put(
                    c.wire(),
                    new JsonObject()
                            .put("count", counts.get(c))
                            .put("ids", new JsonArray(new ArrayList<>(ids.get(c))))
                            .put("ids_truncated", ids.get(c).size() < counts.get(c))
                            .put("repaired", repaired.get(c))
                            .put("counted", c.counted()));
        }
        breaks.getJsonObject(BreakClass.LAGGING.wire())
                .put("would_be", new JsonObject(new java.util.LinkedHashMap<>(laggingOf)));
        return new JsonObject()
                .put("window", new JsonObject().put("from_ms", fromMs).put("to_ms", toMs))
                .put("repair", repair)
                .put("sources", new JsonObject(new java.util.LinkedHashMap<>(sourceRecords)))
                .put("total_breaks", total())
                .put("elapsed_ms", elapsedMs)
                .put("breaks", breaks);
    }

    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-31s %10s %10s  %s%n", "break class", "count", "repaired", "payment ids (first 5)"));
        for (BreakClass c : BreakClass.values()) {
            b.append(String.format(
                    "%-31s %10d %10d  %s%n",
                    c == BreakClass.LAGGING || c == BreakClass.TENANT_MISMATCH
                            ? c.wire() + " (not repaired)"
                            : c.counted() ? c.wire() : c.wire() + " (info)",
                    counts.get(c),
                    repaired.get(c),
                    String.join(
                            " ", ids.get(c).subList(0, Math.min(5, ids.get(c).size())))));
        }
        b.append(String.format("%-31s %10d%n", "total", total()));
        if (!laggingOf.isEmpty()) {
            b.append("lagging: the processor has not yet passed these payments' billing records; would be ")
                    .append(laggingOf)
                    .append(System.lineSeparator());
        }
        sourceRecords.forEach((k, v) -> b.append(String.format("source %-15s %10d records%n", k, v)));
        b.append(String.format("elapsed %d ms%n", elapsedMs));
        return b.toString();
    }
}
