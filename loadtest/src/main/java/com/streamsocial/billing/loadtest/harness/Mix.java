package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * A weighted request mix such as {@code new=90,retry=4,concurrent-dup=2,conflict=1,invalid=1,decline=2}.
 * {@link #pick(long)} maps a uniformly drawn number to a kind, so the choice is reproducible and
 * testable without randomness inside. Pure.
 */
public final class Mix {
    /** What a scheduled request is, and which answers it expects. */
    public enum Kind {
        /** A new payment with a fresh Idempotency-Key: 202. */
        NEW("new"),
        /** The same key and body as a payment already answered: a replay (200/202 + Idempotent-Replayed), or 409 while in flight. */
        RETRY("retry"),
        /** Two requests with one fresh key sent at once: one 202, the other a replay or 409. */
        CONCURRENT_DUP("concurrent-dup"),
        /** A key already used, with another body: 422. */
        CONFLICT("conflict"),
        /** A body that breaks the contract (negative amount): 400. */
        INVALID("invalid"),
        /** A new payment the provider declines ({@code pm_card_chargeDeclined}): 202, then a failed outcome. */
        DECLINE("decline");

        public final String label;

        Kind(String label) {
            this.label = label;
        }

        static Kind byLabel(String label) {
            for (Kind k : values()) {
                if (k.label.equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown request kind '" + label + "'; known: new, retry,"
                    + " concurrent-dup, conflict, invalid, decline");
        }
    }

    public static final String DEFAULT = "new=90,retry=4,concurrent-dup=2,conflict=1,invalid=1,decline=2";

    private final Map<Kind, Integer> weights;
    private final Kind[] kinds;
    private final long[] cumulative;
    private final long total;

    private Mix(Map<Kind, Integer> weights) {
        this.weights = Map.copyOf(weights);
        this.kinds = weights.keySet().toArray(new Kind[0]);
        this.cumulative = new long[kinds.length];
        long sum = 0;
        for (int i = 0; i < kinds.length; i++) {
            sum += weights.get(kinds[i]);
            cumulative[i] = sum;
        }
        this.total = sum;
        Check.argument(total > 0, "a mix needs at least one positive weight");
    }

    /** Parses {@code kind=weight,...}; throws IllegalArgumentException naming what is wrong. */
    public static Mix parse(String spec) {
        Map<Kind, Integer> w = new EnumMap<>(Kind.class);
        for (String part : spec.toLowerCase(Locale.ROOT).split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            Check.argument(eq > 0, "mix entry '%s' is not kind=weight", p);
            Kind k = Kind.byLabel(p.substring(0, eq).trim());
            int weight;
            try {
                weight = Integer.parseInt(p.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("mix weight of " + k.label + " is not a whole number");
            }
            Check.argument(weight >= 0, "mix weight of %s must not be negative", k.label);
            Check.argument(!w.containsKey(k), "mix names %s twice", k.label);
            if (weight > 0) {
                w.put(k, weight);
            }
        }
        return new Mix(w);
    }

    /** The kind for a uniformly drawn {@code draw} (any long; its non-negative remainder is used). */
    public Kind pick(long draw) {
        long r = Math.floorMod(draw, total);
        for (int i = 0; i < kinds.length; i++) {
            if (r < cumulative[i]) {
                return kinds[i];
            }
        }
        throw new IllegalStateException("unreachable: " + r + " of " + total);
    }

    public Map<Kind, Integer> weights() {
        return weights;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Kind k : kinds) {
            b.append(b.isEmpty() ? "" : ",").append(k.label).append('=').append(weights.get(k));
        }
        return b.toString();
    }
}
