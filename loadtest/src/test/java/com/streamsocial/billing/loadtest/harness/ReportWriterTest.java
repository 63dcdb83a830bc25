package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    private static Report report() {
        return new Report(
                "run",
                "loadtest run <x>",
                Map.of("rate", "100/s"),
                Map.of("answered", "500"),
                List.of("rate/s", "ingest ok"),
                List.of(List.of("100", "yes")),
                List.of(
                        new Sample(1.0, 1.0, 100, 98, 0, 90, 1.5, 9.0, 12.0, 8, Map.of("202", 98L)),
                        new Sample(2.0, 0.5, 50, 50, 2, 0, Double.NaN, Double.NaN, Double.NaN, -1, Map.of())));
    }

    @Test
    void jsonCarriesEverySampleAndTheSteps() {
        JsonObject json = ReportWriter.json(report());
        assertThat(json.getString("command")).isEqualTo("run");
        assertThat(json.getJsonObject("results").getString("answered")).isEqualTo("500");
        assertThat(json.getJsonArray("steps").getJsonObject(0).getString("ingest ok"))
                .isEqualTo("yes");
        assertThat(json.getJsonArray("samples")).hasSize(2);
        JsonObject first = json.getJsonArray("samples").getJsonObject(0);
        assertThat(first.getDouble("p99_ms")).isEqualTo(9.0);
        assertThat(first.getJsonObject("statuses").getLong("202")).isEqualTo(98L);
        // No answers in an interval: no percentile, rather than a made-up number.
        assertThat(json.getJsonArray("samples").getJsonObject(1).getValue("p99_ms"))
                .isNull();
    }

    @Test
    void markdownHasTheTablesAndRatesPerSecond() {
        String md = ReportWriter.markdown(report());
        assertThat(md)
                .contains("# loadtest run <x>")
                .contains("| rate | 100/s |")
                .contains("| 100 | yes |");
        // The second sample covers half a second: 50 sent is 100/s.
        assertThat(md).contains("| 2.0 | 100 | 100 | 2 | - | - | - | 0 | ? |");
    }

    @Test
    void htmlIsSelfContainedWithThreeCharts() {
        String html = ReportWriter.html(report());
        assertThat(html).contains("loadtest run &lt;x&gt;").doesNotContain("<x>");
        assertThat(html.split("<svg ", -1)).hasSize(4);
        assertThat(html).contains("<polyline").doesNotContain("<script").doesNotContain("src=\"http");
    }

    @Test
    void aNanPointBreaksTheLineInsteadOfDrawingZero() {
        String svg = ReportWriter.chart("x", report().samples(), List.of("p99"), List.of(Sample::p99Ms));
        assertThat(svg.split("<polyline", -1)).hasSize(2);
        assertThat(svg).doesNotContain("NaN");
    }

    @Test
    void writesTheThreeFiles(@TempDir Path dir) throws Exception {
        List<Path> files = ReportWriter.write(report(), dir.resolve("sub/r1").toString());
        assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("r1.json", "r1.md", "r1.html");
        for (Path p : files) {
            assertThat(Files.size(p)).isPositive();
        }
    }
}
