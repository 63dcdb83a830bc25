package com.streamsocial.billing.loadtest.harness;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Renders a {@link Report} as JSON, Markdown and one self-contained HTML page whose charts are inline
 * SVG (no script, no external resource), and writes them as {@code PREFIX.json}, {@code PREFIX.md}
 * and {@code PREFIX.html}.
 */
public final class ReportWriter {
    private static final int CHART_WIDTH = 900;
    private static final int CHART_HEIGHT = 240;
    private static final int MARGIN = 50;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};

    private ReportWriter() {}

    /** Writes the three files; returns their paths. */
    public static List<Path> write(Report r, String prefix) throws IOException {
        Path json = Path.of(prefix + ".json");
        Path md = Path.of(prefix + ".md");
        Path html = Path.of(prefix + ".html");
        if (json.toAbsolutePath().getParent() != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        Files.writeString(json, json(r).encodePrettily() + "\n", StandardCharsets.UTF_8);
        Files.writeString(md, markdown(r), StandardCharsets.UTF_8);
        Files.writeString(html, html(r), StandardCharsets.UTF_8);
        return List.of(json, md, html);
    }

    public static JsonObject json(Report r) {
        JsonArray samples = new JsonArray();
        for (Sample s : r.samples()) {
            samples.add(new JsonObject()
                    .put("t_s", s.tSeconds())
                    .put("interval_s", s.intervalSeconds())
                    .put("sent", s.sent())
                    .put("answered", s.answered())
                    .put("unsent", s.unsent())
                    .put("outcomes", s.outcomes())
                    .put("p50_ms", finite(s.p50Ms()))
                    .put("p99_ms", finite(s.p99Ms()))
                    .put("p999_ms", finite(s.p999Ms()))
                    .put("lag", s.lag())
                    .put("statuses", new JsonObject(new java.util.TreeMap<String, Object>(s.statuses()))));
        }
        JsonArray rows = new JsonArray();
        for (List<String> row : r.tableRows()) {
            JsonObject o = new JsonObject();
            for (int i = 0; i < r.tableHeader().size() && i < row.size(); i++) {
                o.put(r.tableHeader().get(i), row.get(i));
            }
            rows.add(o);
        }
        return new JsonObject()
                .put("command", r.command())
                .put("title", r.title())
                .put("settings", new JsonObject(new java.util.LinkedHashMap<String, Object>(r.settings())))
                .put("results", new JsonObject(new java.util.LinkedHashMap<String, Object>(r.results())))
                .put("steps", rows)
                .put("samples", samples);
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    public static String markdown(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# ").append(r.title()).append("\n\n");
        b.append("| setting | value |\n|---|---|\n");
        r.settings()
                .forEach((k, v) ->
                        b.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
        b.append("\n| result | value |\n|---|---|\n");
        r.results()
                .forEach((k, v) ->
                        b.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
        if (!r.tableHeader().isEmpty()) {
            b.append("\n| ").append(String.join(" | ", r.tableHeader())).append(" |\n|");
            r.tableHeader().forEach(h -> b.append("---|"));
            b.append('\n');
            for (List<String> row : r.tableRows()) {
                b.append("| ")
                        .append(String.join(
                                " | ", row.stream().map(ReportWriter::cell).toList()))
                        .append(" |\n");
            }
        }
        b.append("\n## Per second\n\n");
        b.append("| t s | sent/s | answered/s | unsent | p50 ms | p99 ms | p99.9 ms | outcomes/s | lag | statuses |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Sample s : r.samples()) {
            b.append(String.format(
                    "| %.1f | %.0f | %.0f | %d | %s | %s | %s | %.0f | %s | %s |%n",
                    s.tSeconds(),
                    s.sentPerSecond(),
                    s.answeredPerSecond(),
                    s.unsent(),
                    num(s.p50Ms()),
                    num(s.p99Ms()),
                    num(s.p999Ms()),
                    s.outcomesPerSecond(),
                    s.lag() < 0 ? "?" : Long.toString(s.lag()),
                    new java.util.TreeMap<>(s.statuses()).toString().replace("|", "/")));
        }
        return b.toString();
    }

    private static String cell(String v) {
        return v.replace("|", "\\|").replace("\n", " ");
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format("%.2f", v) : "-";
    }

    public static String html(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc(r.title()))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
                        + "text-align:left}svg{border:1px solid #ddd;margin:0.5em 0}</style></head><body>\n");
        b.append("<h1>").append(esc(r.title())).append("</h1>\n");
        table(b, "setting", r.settings());
        table(b, "result", r.results());
        if (!r.tableHeader().isEmpty()) {
            b.append("<table><tr>");
            r.tableHeader().forEach(h -> b.append("<th>").append(esc(h)).append("</th>"));
            b.append("</tr>\n");
            for (List<String> row : r.tableRows()) {
                b.append("<tr>");
                row.forEach(c -> b.append("<td>").append(esc(c)).append("</td>"));
                b.append("</tr>\n");
            }
            b.append("</table>\n");
        }
        List<Sample> s = r.samples();
        b.append(chart(
                "Rate (per second)",
                s,
                List.of("sent/s", "answered/s", "outcomes/s"),
                List.of(Sample::sentPerSecond, Sample::answeredPerSecond, Sample::outcomesPerSecond)));
        b.append(chart(
                "Latency from intended send time (ms)",
                s,
                List.of("p50", "p99", "p99.9"),
                List.of(Sample::p50Ms, Sample::p99Ms, Sample::p999Ms)));
        b.append(chart(
                "Processing lag (accepted minus outcomes)",
                s,
                List.of("lag"),
                List.of(x -> x.lag() < 0 ? Double.NaN : x.lag())));
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void table(StringBuilder b, String head, Map<String, String> rows) {
        b.append("<table><tr><th>").append(head).append("</th><th>value</th></tr>\n");
        rows.forEach((k, v) -> b.append("<tr><td>")
                .append(esc(k))
                .append("</td><td>")
                .append(esc(v))
                .append("</td></tr>\n"));
        b.append("</table>\n");
    }

    /** A line chart as inline SVG; points that are NaN break their line. */
    static String chart(String title, List<Sample> samples, List<String> names, List<ToDoubleFunction<Sample>> ys) {
        double xMax = 1;
        double yMax = 0;
        for (Sample s : samples) {
            xMax = Math.max(xMax, s.tSeconds());
            for (ToDoubleFunction<Sample> f : ys) {
                double v = f.applyAsDouble(s);
                if (Double.isFinite(v)) {
                    yMax = Math.max(yMax, v);
                }
            }
        }
        yMax = yMax <= 0 ? 1 : yMax * 1.1;
        int w = CHART_WIDTH - 2 * MARGIN;
        int h = CHART_HEIGHT - 2 * MARGIN;
        StringBuilder b = new StringBuilder();
        b.append("<h2>").append(esc(title)).append("</h2>\n");
        b.append(String.format(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">%n",
                CHART_WIDTH, CHART_HEIGHT, esc(title)));
        b.append(String.format(
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>"
                        + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>%n",
                MARGIN, MARGIN, MARGIN, MARGIN + h, MARGIN, MARGIN + h, MARGIN + w, MARGIN + h));
        for (int i = 0; i <= 4; i++) {
            double v = yMax * i / 4;
            int y = MARGIN + h - (int) Math.round(h * i / 4.0);
            b.append(String.format(
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>"
                            + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n",
                    MARGIN - 4, y + 3, axis(v), MARGIN, y, MARGIN + w, y));
        }
        b.append(String.format(
                "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.0f s</text>%n",
                MARGIN + w, MARGIN + h + 14, xMax));
        for (int k = 0; k < ys.size(); k++) {
            String colour = COLOURS[k % COLOURS.length];
            List<String> segments = new ArrayList<>();
            StringBuilder points = new StringBuilder();
            for (Sample s : samples) {
                double v = ys.get(k).applyAsDouble(s);
                if (!Double.isFinite(v)) {
                    if (!points.isEmpty()) {
                        segments.add(points.toString());
                        points.setLength(0);
                    }
                    continue;
                }
                double x = MARGIN + w * s.tSeconds() / xMax;
                double y = MARGIN + h - h * v / yMax;
                points.append(String.format("%.1f,%.1f ", x, y));
            }
            if (!points.isEmpty()) {
                segments.add(points.toString());
            }
            for (String seg : segments) {
                b.append(String.format(
                        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
                        colour, seg.trim()));
            }
            b.append(String.format(
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>%n",
                    MARGIN + 10 + 110 * k, MARGIN - 10, colour, esc(names.get(k))));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static String axis(double v) {
        return v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
