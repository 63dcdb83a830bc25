package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;

/**
 * How many provider calls may be in flight at once, adapted to how the provider answers; always
 * within {@code limitMin..limitMax}. Pure and single-threaded: time is a parameter, no I/O, no clock.
 *
 * <p>Calls report their end to {@link #onSample}; samples are judged per window (at least {@link
 * #WINDOW_NANOS} and {@link #WINDOW_SAMPLES_MIN} samples), never one by one, because a provider's
 * own spread (100 to 300 ms for the same work) would look like queueing sample by sample. At the
 * end of a window:
 *
 * <ul>
 *   <li>more than {@link #DROP_SHARE_TOLERATED} of its calls dropped (429, 5xx, timeout, lost
 *       connection): the limit halves;
 *   <li>else, its mean latency over {@link #LATENCY_TOLERANCE} times the baseline (the lowest window
 *       mean of the last 30 to 60 s): the limit shrinks by the gradient {@code tolerance × baseline /
 *       mean}, at most by half;
 *   <li>else, if the limit was what held calls back (half of it or more in flight): it grows,
 *       doubling per window up to the slow-start threshold, then by its square root per window.
 * </ul>
 *
 * The threshold starts at {@code limitMax}, so a fresh limit doubles until the provider first
 * pushes back; the first overloaded window of an episode sets it to half the limit it began at, so
 * that after an outage (which shrinks the limit to {@code limitMin}) it doubles back to there within
 * seconds and probes additively beyond. This is TCP's slow start and congestion avoidance with a
 * latency gradient (as in Netflix's concurrency-limits) in place of packet loss alone.
 */
public final class AdaptiveLimit {
    /** Where a fresh limit starts (within the bounds): the fixed limit this replaced. */
    public static final int LIMIT_INITIAL = 256;

    /** A window lasts at least this long: a few provider round trips, so that its mean is stable. */
    static final long WINDOW_NANOS = 500_000_000L;

    /** And holds at least this many samples, so that one slow call cannot move its mean much. */
    static final int WINDOW_SAMPLES_MIN = 32;

    /** Share of a window's calls that may drop without a decrease: stray 5xx are not overload. */
    static final double DROP_SHARE_TOLERATED = 0.01;

    /** The decrease on drops: the provider said it is overloaded, so back off hard (as TCP does). */
    static final double DROP_DECREASE_RATIO = 0.5;

    /**
     * A window's mean latency up to this multiple of the baseline is no queueing. Two: a window mean
     * of 100 to 300 ms calls stays within a few percent of its lowest, queueing doubles it.
     */
    static final double LATENCY_TOLERANCE = 2.0;

    /** One window shrinks the limit by at most this ratio on latency, however large the gradient. */
    static final double LATENCY_DECREASE_RATIO_MIN = 0.5;

    /**
     * The baseline never counts as below this: a few milliseconds more are this JVM's own noise (a
     * GC pause, a busy event loop), not a queue at the provider. A 2 ms provider counts as queueing
     * only past a 40 ms mean.
     */
    static final long BASELINE_RTT_FLOOR_NANOS = 20_000_000L;

    /**
     * The baseline is the lowest window mean of the current period and the previous one: it forgets
     * windows older than two periods, so a provider that got slower for good becomes the new normal.
     */
    static final long BASELINE_PERIOD_NANOS = 30_000_000_000L;

    /** One sample's latency counts as this at most: bounds the window's sum (a call times out sooner). */
    static final long SAMPLE_RTT_NANOS_MAX = 600_000_000_000L;

    /** What a sample changed. */
    public enum Change {
        NONE,
        GREW,
        /** Decreased: too many calls dropped in the window. */
        DECREASED_DROPS,
        /** Decreased: the window's mean latency rose well above the baseline. */
        DECREASED_LATENCY
    }

    private final int limitMin;
    private final int limitMax;
    /** Fractional, so that additive steps below one accumulate; {@link #limit()} floors it. */
    private double limit;
    /** Growth doubles below it, adds the square root at and above it. */
    private double slowStartThreshold;
    /** Whether the latest judged window was overloaded: the episode the threshold was set in. */
    private boolean overloaded;

    private long windowStartNanos;
    private int windowSamples;
    private int windowDrops;
    /** Latency sum of the window's calls that were answered (dropped ones say nothing of queueing). */
    private long windowRttSumNanos;

    private int windowInFlightMax;

    private long baselinePeriodStartNanos;
    private long baselineCurrentNanos = Long.MAX_VALUE;
    private long baselinePreviousNanos = Long.MAX_VALUE;

    /** Starts at {@link #LIMIT_INITIAL} brought within {@code limitMin..limitMax}. */
    public AdaptiveLimit(int limitMin, int limitMax, long nowNanos) {
        Check.argument(
                limitMin >= 1 && limitMin <= limitMax,
                "limits must satisfy 1 <= min <= max, got %d..%d",
                limitMin,
                limitMax);
        this.limitMin = limitMin;
        this.limitMax = limitMax;
        this.limit = Math.max(limitMin, Math.min(limitMax, LIMIT_INITIAL));
        this.slowStartThreshold = limitMax;
        this.windowStartNanos = nowNanos;
        this.baselinePeriodStartNanos = nowNanos;
    }

    /** Calls allowed in flight now. */
    public int limit() {
        return (int) limit;
    }

    /**
     * One call ended after {@code rttNanos}; {@code dropped} when it ended in an overload signal;
     * {@code inFlight} calls were in flight when it started (itself included).
     */
    public Change onSample(long rttNanos, boolean dropped, int inFlight, long nowNanos) {
        windowSamples++;
        if (dropped) {
            windowDrops++;
        } else {
            windowRttSumNanos += Math.max(0, Math.min(SAMPLE_RTT_NANOS_MAX, rttNanos));
        }
        windowInFlightMax = Math.max(windowInFlightMax, inFlight);
        if (nowNanos - windowStartNanos < WINDOW_NANOS || windowSamples < WINDOW_SAMPLES_MIN) {
            return Change.NONE;
        }
        Change change = judgeWindow(nowNanos);
        windowStartNanos = nowNanos;
        windowSamples = 0;
        windowDrops = 0;
        windowRttSumNanos = 0;
        windowInFlightMax = 0;
        return change;
    }

    private Change judgeWindow(long nowNanos) {
        if (windowDrops > windowSamples * DROP_SHARE_TOLERATED) {
            return decrease(DROP_DECREASE_RATIO, Change.DECREASED_DROPS);
        }
        // Tolerated drops leave most of the window answered: at least 99 % of 32 or more samples.
        long meanNanos = windowRttSumNanos / (windowSamples - windowDrops);
        long baselineNanos = baseline(meanNanos, nowNanos);
        double gradient = LATENCY_TOLERANCE
                * Math.max(baselineNanos, BASELINE_RTT_FLOOR_NANOS)
                / Math.max(meanNanos, BASELINE_RTT_FLOOR_NANOS);
        if (gradient < 1.0) {
            return decrease(Math.max(LATENCY_DECREASE_RATIO_MIN, gradient), Change.DECREASED_LATENCY);
        }
        overloaded = false;
        // Fewer in flight than half the limit: the limit held nothing back, so this window says
        // nothing about a higher one (and an idle limit must not grow without bound of evidence).
        if (windowInFlightMax * 2L < limit || limit >= limitMax) {
            return Change.NONE;
        }
        double next = limit < slowStartThreshold ? Math.min(limit * 2, slowStartThreshold) : limit + Math.sqrt(limit);
        limit = Math.min(limitMax, next);
        return Change.GREW;
    }

    /** Takes the window's mean into the baseline, which it returns. */
    private long baseline(long meanNanos, long nowNanos) {
        if (nowNanos - baselinePeriodStartNanos >= BASELINE_PERIOD_NANOS) {
            baselinePreviousNanos = baselineCurrentNanos;
            baselineCurrentNanos = Long.MAX_VALUE;
            baselinePeriodStartNanos = nowNanos;
        }
        baselineCurrentNanos = Math.min(baselineCurrentNanos, meanNanos);
        return Math.min(baselineCurrentNanos, baselinePreviousNanos);
    }

    private Change decrease(double ratio, Change why) {
        if (!overloaded) {
            // The episode's first overloaded window: the limit it began at, halved, is where growth
            // turns careful once the episode is over.
            slowStartThreshold = Math.max(limitMin, limit * DROP_DECREASE_RATIO);
            overloaded = true;
        }
        limit = Math.max(limitMin, limit * ratio);
        return why;
    }
}
