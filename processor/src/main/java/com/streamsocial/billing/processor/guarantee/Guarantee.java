package com.streamsocial.billing.processor.guarantee;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The delivery guarantee a processor runs with ({@code processor.guarantee}). Only {@link
 * #EXACTLY_ONCE} is fit for payments; the other two exist to show, side by side under the same
 * faults, what a naive consumer does to money.
 */
public enum Guarantee {
    /** The full design: ledger dedup, provider idempotency keys, one Kafka transaction per batch. */
    EXACTLY_ONCE("exactly-once"),
    /** Process, then commit offsets; no transaction, no dedup, no provider key: a crash charges again. */
    AT_LEAST_ONCE("at-least-once"),
    /** Commit offsets, then process; no transaction, no dedup, no provider key: a crash loses payments. */
    AT_MOST_ONCE("at-most-once");

    private final String wire;

    Guarantee(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /**
     * Whether the provider adapter charges under an idempotency key: only exactly-once does. The naive
     * guarantees charge without one, so that a retry or a replay charges again: that is what they show.
     */
    public boolean providerIdempotencyKeys() {
        return this == EXACTLY_ONCE;
    }

    /** The guarantee named {@code s}; an unknown name is refused naming the setting and the choices. */
    public static Guarantee parse(String s) {
        for (Guarantee g : values()) {
            if (g.wire.equals(s)) {
                return g;
            }
        }
        throw new IllegalArgumentException("processor.guarantee must be one of "
                + Arrays.stream(values()).map(Guarantee::wire).collect(Collectors.joining(", "))
                + ", got " + s);
    }
}
