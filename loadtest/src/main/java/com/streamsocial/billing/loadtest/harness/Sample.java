package com.streamsocial.billing.loadtest.harness;

import java.util.Map;
import java.util.TreeMap;

/**
 * One progress interval (normally a second) of a run: rates, the interval's corrected latency
 * percentiles in milliseconds ({@code NaN} when nothing was answered), and the processing lag at its
 * end ({@code -1} when unknown). Counts are per interval; rates divide them by its length.
 */
public record Sample(
        double tSeconds,
        double intervalSeconds,
        long sent,
        long answered,
        long unsent,
        long outcomes,
        double p50Ms,
        double p99Ms,
        double p999Ms,
        long lag,
        Map<String, Long> statuses) {

    public Sample {
        statuses = Map.copyOf(statuses);
    }

    public double sentPerSecond() {
        return sent / intervalSeconds;
    }

    public double answeredPerSecond() {
        return answered / intervalSeconds;
    }

    public double outcomesPerSecond() {
        return outcomes / intervalSeconds;
    }

    /** The progress line printed once a second. */
    public String progressLine() {
        StringBuilder b = new StringBuilder(String.format(
                "t=%6.1fs sent %7.0f/s answered %7.0f/s p50 %s p99 %s p99.9 %s ms",
                tSeconds, sentPerSecond(), answeredPerSecond(), ms(p50Ms), ms(p99Ms), ms(p999Ms)));
        if (unsent > 0) {
            b.append(" unsent ").append(unsent);
        }
        b.append(" |");
        new TreeMap<>(statuses)
                .forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        b.append(" | outcomes ").append(String.format("%.0f/s", outcomesPerSecond()));
        b.append(" lag ").append(lag < 0 ? "?" : Long.toString(lag));
        return b.toString();
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.1f", v);
    }
}
