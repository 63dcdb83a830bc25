package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;

/**
 * The intended send times of an open-loop run: request {@code i} is due at {@code startNanos + i *
 * intervalNanos}, whatever happened to the requests before it. Latency is measured from these times,
 * so a stalled server is charged for every request it kept from being sent (wrk2's correction of
 * coordinated omission). Pure: time is a parameter.
 */
public record Schedule(long startNanos, double ratePerSecond, long durationNanos) {
    public Schedule {
        Check.argument(ratePerSecond > 0, "rate must be positive, got %s", ratePerSecond);
        Check.argument(durationNanos > 0, "duration must be positive");
    }

    /** How many requests the whole run sends. */
    public long total() {
        return (long) Math.floor(durationNanos / 1e9 * ratePerSecond);
    }

    /** When request {@code i} (from 0) is due. */
    public long intendedNanos(long i) {
        return startNanos + (long) (i * 1e9 / ratePerSecond);
    }

    /** How many requests are due at {@code nowNanos}: those with an intended time at or before it. */
    public long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        long due = (long) Math.floor((nowNanos - startNanos) * ratePerSecond / 1e9) + 1;
        return Math.min(due, total());
    }

    public long endNanos() {
        return startNanos + durationNanos;
    }
}
