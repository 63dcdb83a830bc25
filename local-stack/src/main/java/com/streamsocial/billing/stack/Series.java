package com.streamsocial.billing.stack;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support: reads a metric series and fails ({@link AssertionError}) when it is absent. A missing
 * meter otherwise reads as 0, and a check such as "is zero" or "unchanged" would pass when the meter
 * was renamed or never registered.
 */
public final class Series {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Series() {}

    /**
     * The sum of the counters named {@code name} (Micrometer's name: {@code gateway.commit.retries})
     * whose tags include {@code tags} (key, value, ...); fails when no counter matches.
     */
    public static double counter(ServiceMetrics metrics, String name, String... tags) {
        List<Meter> counters = metrics.registry().find(name).tags(tags).meters().stream()
                .filter(m -> m instanceof Counter || m instanceof FunctionCounter)
                .toList();
        if (counters.isEmpty()) {
            throw new AssertionError("no counter " + name + " with tags " + List.of(tags) + " is registered");
        }
        double sum = 0;
        for (Meter m : counters) {
            sum += m instanceof Counter c ? c.count() : ((FunctionCounter) m).count();
        }
        return sum;
    }

    /**
     * The sum of the samples of {@code name} in a Prometheus text scrape whose labels include {@code
     * labels} (name, value, ...); fails when no sample matches.
     */
    public static double sample(String scrape, String name, String... labels) {
        return find(scrape, name, labels)
                .orElseThrow(() ->
                        new AssertionError("no sample " + name + " with labels " + List.of(labels) + " in the scrape"));
    }

    /** As {@link #sample}, empty when no sample matches: for a wait that polls until it appears. */
    public static OptionalDouble find(String scrape, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && m.group(1).equals(name) && hasLabels(m.group(3), labels)) {
                sum += Double.parseDouble(m.group(4));
                found = true;
            }
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    private static boolean hasLabels(String labelText, String... labels) {
        Map<String, String> have = new HashMap<>();
        if (labelText != null) {
            Matcher l = LABEL.matcher(labelText);
            while (l.find()) {
                have.put(l.group(1), l.group(2));
            }
        }
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(have.get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
