package com.streamsocial.billing.loadtest.harness;

import java.time.Duration;
import java.util.Locale;

/** Parses the harness's durations: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT5S}). */
public final class Durations {
    private Durations() {}

    public static Duration parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt")) {
                return positive(Duration.parse(t.toUpperCase(Locale.ROOT)), s);
            }
            if (t.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), s);
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return positive(
                    switch (t.charAt(t.length() - 1)) {
                        case 's' -> Duration.ofSeconds(n);
                        case 'm' -> Duration.ofMinutes(n);
                        case 'h' -> Duration.ofHours(n);
                        default -> throw new IllegalArgumentException();
                    },
                    s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + s + "' is not a duration such as 500ms, 10s, 2m or 1h");
        }
    }

    private static Duration positive(Duration d, String s) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration " + s);
        }
        return d;
    }
}
