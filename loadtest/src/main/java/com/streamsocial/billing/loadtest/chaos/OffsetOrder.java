package com.streamsocial.billing.loadtest.chaos;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The "offsets only move forward" rule, fed one observation at a time: per stream (a partition as one
 * reader sees it, or a consumer group's committed offset of a partition), each offset must be above
 * the previous one ({@code strict}: a reader must never be handed a record again) or at least equal
 * (a committed offset may be read unchanged). Pure; not thread-safe.
 */
public final class OffsetOrder {
    private final Map<String, Long> last = new HashMap<>();

    public Optional<Violation> observe(String stream, long offset, boolean strict) {
        Long previous = last.get(stream);
        if (previous != null && (strict ? offset <= previous : offset < previous)) {
            return Optional.of(new Violation(
                    "offsets-forward",
                    stream,
                    "offset " + offset + " after " + previous + (strict ? "" : " (committed)")));
        }
        if (previous == null || offset > previous) {
            last.put(stream, offset);
        }
        return Optional.empty();
    }
}
