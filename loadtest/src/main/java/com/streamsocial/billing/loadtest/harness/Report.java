package com.streamsocial.billing.loadtest.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@code run}, {@code max} or {@code drain} produced: its settings, its results (ordered,
 * rendered as given), an optional table (the steps of {@code max}) and the per-second samples that
 * the charts draw. A plain value; {@link ReportWriter} renders it.
 */
public record Report(
        String command,
        String title,
        Map<String, String> settings,
        Map<String, String> results,
        List<String> tableHeader,
        List<List<String>> tableRows,
        List<Sample> samples) {

    public Report {
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        results = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(results));
        tableHeader = List.copyOf(tableHeader);
        tableRows = tableRows.stream().map(List::copyOf).toList();
        samples = List.copyOf(samples);
    }
}
