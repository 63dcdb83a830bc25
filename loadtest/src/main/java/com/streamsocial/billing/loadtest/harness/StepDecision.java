package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;

/**
 * Whether one step of {@code max} held its rate: for ingest, p99 within {@link #P99_MS_MAX}, errors
 * (unexpected answers, transport failures and requests that could not be sent in time) below
 * {@link #ERROR_RATIO_MAX} of what was scheduled, and the answered rate within
 * {@link #ANSWERED_RATIO_MIN} of the target; end to end, also processing keeping up: the lag grew by
 * no more than {@code lagGrowthSecondsMax} seconds of the target rate over the step. Pure.
 */
public final class StepDecision {
    public static final double P99_MS_MAX = 50.0;
    public static final double ERROR_RATIO_MAX = 0.001;
    public static final double ANSWERED_RATIO_MIN = 0.95;

    /** What one step measured. {@code lagAtStart}/{@code lagAtEnd} are -1 when lag is unknown. */
    public record StepStats(
            double targetRate,
            double seconds,
            long scheduled,
            long answered,
            long errors,
            double p99Ms,
            long lagAtStart,
            long lagAtEnd) {
        public StepStats {
            Check.argument(targetRate > 0 && seconds > 0, "a step needs a positive rate and length");
        }

        public double errorRatio() {
            return scheduled == 0 ? 0 : (double) errors / scheduled;
        }

        public long lagGrowth() {
            return lagAtEnd - lagAtStart;
        }
    }

    /** The verdict on a step, with the reason for a failure (empty when it passed). */
    public record Verdict(boolean ingestOk, boolean endToEndOk, String why) {}

    private StepDecision() {}

    public static Verdict decide(StepStats s, double lagGrowthSecondsMax) {
        StringBuilder why = new StringBuilder();
        if (!(s.p99Ms() <= P99_MS_MAX)) {
            why.append(String.format("p99 %.1f ms > %.0f ms; ", s.p99Ms(), P99_MS_MAX));
        }
        if (s.errorRatio() >= ERROR_RATIO_MAX) {
            why.append(String.format("errors %.3f %% >= %.1f %%; ", 100 * s.errorRatio(), 100 * ERROR_RATIO_MAX));
        }
        double answeredRate = s.answered() / s.seconds();
        if (answeredRate < ANSWERED_RATIO_MIN * s.targetRate()) {
            why.append(String.format(
                    "answered %.0f/s < %.0f %% of %.0f/s; ", answeredRate, 100 * ANSWERED_RATIO_MIN, s.targetRate()));
        }
        boolean ingestOk = why.isEmpty();
        boolean keepsUp;
        if (s.lagAtStart() < 0 || s.lagAtEnd() < 0) {
            keepsUp = false;
            why.append("lag unknown; ");
        } else {
            double allowed = lagGrowthSecondsMax * s.targetRate();
            keepsUp = s.lagGrowth() <= allowed;
            if (!keepsUp) {
                why.append(String.format("lag grew by %d > %.0f; ", s.lagGrowth(), allowed));
            }
        }
        String reason = why.isEmpty() ? "" : why.substring(0, why.length() - 2);
        return new Verdict(ingestOk, ingestOk && keepsUp, reason);
    }

    /**
     * The search over steps: the highest rate of the unbroken run of passing steps from the start,
     * for ingest and for end to end. Stepping stops at the first step whose ingest fails.
     */
    public static final class Search {
        private double ingestMax = 0;
        private double endToEndMax = 0;
        private boolean ingestBroken;
        private boolean endToEndBroken;

        /** Records a step's verdict; returns whether to go on to the next rate. */
        public boolean record(double rate, Verdict v) {
            if (!ingestBroken && v.ingestOk()) {
                ingestMax = rate;
            } else {
                ingestBroken = true;
            }
            if (!endToEndBroken && v.endToEndOk()) {
                endToEndMax = rate;
            } else {
                endToEndBroken = true;
            }
            return !ingestBroken;
        }

        /** 0 when not even the first step passed. */
        public double ingestMax() {
            return ingestMax;
        }

        public double endToEndMax() {
            return endToEndMax;
        }
    }
}
