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
 * target is hit once per round. Pure: no clock, no I/O.
 */
public record FaultSchedule(List<Fault> faults) {
    /** Upper bound of {@code --kills}. */
    public static final int KILLS_MAX = 10_000;

    /** What can be killed. */
    public enum Target {
        GATEWAY,
        PROCESSOR,
        BROKER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code gateway}, {@code processor} or {@code broker}. */
        public static Target parse(String s) {
            for (Target t : values()) {
                if (t.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown target '" + s + "'; known: gateway, processor, broker");
        }
    }

    /**
     * Fault {@code index} (from 0): wait {@code waitMs} after the previous fault has recovered (or after
     * the load started, for the first), then SIGKILL instance {@code instance} (from 0) of {@code target}.
     */
    public record Fault(int index, long waitMs, Target target, int instance) {
        public String name() {
            return target.label() + "-" + (instance + 1);
        }
    }

    public FaultSchedule {
        faults = List.copyOf(faults);
    }

    /**
     * {@code kills} faults over {@code targets} (no repeats), with {@code instances} processes of each
     * target, waits drawn uniformly from {@code [minMs, maxMs]}.
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
            out.add(new Fault(i, wait, t, random.nextInt(instances.get(t))));
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

    /** Parses {@code gateway,processor,broker} (any non-empty subset, no repeats). */
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
