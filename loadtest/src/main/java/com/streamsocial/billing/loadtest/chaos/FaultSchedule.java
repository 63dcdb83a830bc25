package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The seeded fault schedule of a chaos run: which process to kill, in which order, and how long to
 * wait before each kill. The same seed, kills, targets, instance counts and interval give the same
 * schedule. Targets are drawn in rounds, each a seeded permutation of all targets, so that every
 * target is hit once per round. A {@code postgres} fault is either a stall of the whole server
 * ({@link Fault#stallMs} drawn from {@value #STALL_MS_MIN}..{@value #STALL_MS_MAX} ms) or, one time in
 * {@value #BACKEND_KILL_ONE_IN}, the SIGKILL of the backend serving one gateway or processor. Pure: no
 * clock, no I/O.
 */
public record FaultSchedule(List<Fault> faults) {
    /** Upper bound of {@code --kills}. */
    public static final int KILLS_MAX = 10_000;
    /** Shortest stall of a {@code postgres} fault (SIGSTOP of every PostgreSQL process). */
    public static final long STALL_MS_MIN = 2_000;
    /** Longest stall: below the lease's 20 s bound (LeaseCheck.UNCONFIRMED_MAX_MS), with room to check. */
    public static final long STALL_MS_MAX = 15_000;
    /** One {@code postgres} fault in this many, on average, SIGKILLs a backend instead of a stall. */
    public static final int BACKEND_KILL_ONE_IN = 3;

    /** What can be killed. */
    public enum Target {
        GATEWAY,
        PROCESSOR,
        BROKER,
        /** The PostgreSQL server: stalled, or one of its backends killed (never the postmaster). */
        POSTGRES;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code gateway}, {@code processor}, {@code broker} or {@code postgres}. */
        public static Target parse(String s) {
            for (Target t : values()) {
                if (t.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException(
                    "unknown target '" + s + "'; known: gateway, processor, broker, postgres");
        }
    }

    /**
     * Fault {@code index} (from 0): wait {@code waitMs} after the previous fault has recovered (or after
     * the load started, for the first), then SIGKILL instance {@code instance} (from 0) of {@code target}.
     * For {@link Target#POSTGRES}: {@code stallMs > 0} stops every PostgreSQL process for that long; 0
     * SIGKILLs the backend of service {@code instance} (the gateways first, then the processors).
     */
    public record Fault(int index, long waitMs, Target target, int instance, long stallMs) {
        public String name() {
            return target.label() + "-" + (instance + 1);
        }

        /** Whether this fault stalls PostgreSQL (else it kills a process). */
        public boolean stall() {
            return stallMs > 0;
        }
    }

    public FaultSchedule {
        faults = List.copyOf(faults);
    }

    /**
     * {@code kills} faults over {@code targets} (no repeats), with {@code instances} processes of each
     * target (for postgres: the gateways and processors whose backend may be killed), waits drawn
     * uniformly from {@code [minMs, maxMs]}.
     */
    public static FaultSchedule generate(
            long seed, int kills, List<Target> targets, Map<Target, Integer> instances, long minMs, long maxMs) {
        Check.argument(kills >= 0 && kills <= KILLS_MAX, "kills must be 0..%d, got %d", KILLS_MAX, kills);
        Check.argument(!targets.isEmpty(), "at least one target");
        Check.argument(targets.stream().distinct().count() == targets.size(), "targets named twice: %s", targets);
        Check.argument(0 <= minMs && minMs <= maxMs, "need 0 <= min <= max interval, got %d,%d", minMs, maxMs);
        for (Target t : targets) {
            Check.argument(instances.getOrDefault(t, 0) >= 1, "no instance of target %s", t.label());
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Fault> out = new ArrayList<>(kills);
        List<Target> round = new ArrayList<>();
        for (int i = 0; i < kills; i++) {
            if (round.isEmpty()) {
                round.addAll(targets);
                // Fisher-Yates with the seeded source (Collections.shuffle wants a java.util.Random).
                for (int j = round.size() - 1; j > 0; j--) {
                    Collections.swap(round, j, random.nextInt(j + 1));
                }
            }
            Target t = round.remove(round.size() - 1);
            long wait = minMs == maxMs ? minMs : minMs + random.nextLong(maxMs - minMs + 1);
            int instance = random.nextInt(instances.get(t));
            // Drawn only for postgres, so that a schedule without it stays what it was for its seed.
            long stallMs = t == Target.POSTGRES && random.nextInt(BACKEND_KILL_ONE_IN) != 0
                    ? STALL_MS_MIN + random.nextLong(STALL_MS_MAX - STALL_MS_MIN + 1)
                    : 0;
            out.add(new Fault(i, wait, t, instance, stallMs));
        }
        return new FaultSchedule(out);
    }

    /** Parses {@code MIN,MAX} (milliseconds) into a two-element array. */
    public static long[] parseInterval(String spec) {
        String[] parts = spec.split(",");
        Check.argument(parts.length == 2, "interval is MIN,MAX in milliseconds, got '%s'", spec);
        long min;
        long max;
        try {
            min = Long.parseLong(parts[0].trim());
            max = Long.parseLong(parts[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("interval is MIN,MAX in milliseconds, got '" + spec + "'");
        }
        Check.argument(0 <= min && min <= max, "need 0 <= MIN <= MAX, got '%s'", spec);
        return new long[] {min, max};
    }

    /** Parses {@code gateway,processor,broker,postgres} (any non-empty subset, no repeats). */
    public static List<Target> parseTargets(String spec) {
        List<Target> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            if (!s.isBlank()) {
                Target t = Target.parse(s);
                Check.argument(!out.contains(t), "target %s named twice", t.label());
                out.add(t);
            }
        }
        Check.argument(!out.isEmpty(), "name at least one target");
        return out;
    }
}
