package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.processor.psp.AdaptiveLimit.Change;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The adaptive limit, fed windows of samples on a simulated clock. */
class AdaptiveLimitTest {
    private static final long MS = 1_000_000L;
    private static final int SAMPLES = 100;

    private long nowNanos;

    /**
     * One window: {@link #SAMPLES} calls ending evenly over {@link AdaptiveLimit#WINDOW_NANOS}, the
     * first {@code drops} of them dropped, each with {@code inFlight} in flight. Only the last may
     * change the limit; what it changed is returned.
     */
    private Change window(AdaptiveLimit l, LongSupplier rttNanos, int drops, int inFlight) {
        Change last = Change.NONE;
        for (int i = 0; i < SAMPLES; i++) {
            nowNanos += AdaptiveLimit.WINDOW_NANOS / SAMPLES;
            last = l.onSample(rttNanos.getAsLong(), i < drops, inFlight, nowNanos);
            if (i < SAMPLES - 1) {
                assertThat(last).as("judged only at the window's end").isEqualTo(Change.NONE);
            }
        }
        return last;
    }

    /** A window at a steady latency with the limit in use. */
    private Change busy(AdaptiveLimit l, long rttMs) {
        return window(l, () -> rttMs * MS, 0, l.limit());
    }

    @Test
    void startsAtTheInitialLimitBroughtWithinItsBounds() {
        assertThat(new AdaptiveLimit(16, 4_096, 0).limit()).isEqualTo(256);
        assertThat(new AdaptiveLimit(16, 16, 0).limit()).isEqualTo(16);
        assertThat(new AdaptiveLimit(300, 4_096, 0).limit()).isEqualTo(300);
        assertThat(new AdaptiveLimit(1, 100, 0).limit()).isEqualTo(100);
        assertThatThrownBy(() -> new AdaptiveLimit(0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdaptiveLimit(11, 10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void doublesPerWindowUnderSteadyLatencyToTheCeilingAndNeverPastIt() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        List<Integer> limits = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            assertThat(busy(l, 200)).isEqualTo(Change.GREW);
            limits.add(l.limit());
        }
        // 256 to 4,096 in four windows: two seconds.
        assertThat(limits).containsExactly(512, 1_024, 2_048, 4_096);
        for (int w = 0; w < 20; w++) {
            assertThat(busy(l, 200)).isEqualTo(Change.NONE);
            assertThat(l.limit()).isEqualTo(4_096);
        }
    }

    @Test
    void aProviderSpreadingItsAnswersOver100To300MsIsNotQueueing() {
        // The benchmark's sandbox: per call uniform in 100..300 ms, whatever the load.
        Random random = new Random(17);
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        for (int w = 0; w < 200; w++) {
            Change c = window(l, () -> (100 + random.nextInt(201)) * MS, 0, l.limit());
            assertThat(c).isNotIn(Change.DECREASED_LATENCY, Change.DECREASED_DROPS);
        }
        assertThat(l.limit()).isEqualTo(4_096);
    }

    @Test
    void halvesOnAWindowWithMoreThanOnePercentDropped() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 200);
        busy(l, 200);
        assertThat(l.limit()).isEqualTo(1_024);
        assertThat(window(l, () -> 200 * MS, 2, l.limit())).isEqualTo(Change.DECREASED_DROPS);
        assertThat(l.limit()).isEqualTo(512);
        assertThat(window(l, () -> 200 * MS, 50, l.limit())).isEqualTo(Change.DECREASED_DROPS);
        assertThat(l.limit()).isEqualTo(256);
    }

    @Test
    void onePercentDroppedIsToleratedAndDroppedCallsSayNothingOfLatency() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 200);
        // One call of a hundred dropped after 60 s: counted in the mean it would make it 0.8 s,
        // four times the baseline.
        long[] n = {0};
        Change c = window(l, () -> n[0]++ == 0 ? 60_000 * MS : 200 * MS, 1, l.limit());
        assertThat(c).isEqualTo(Change.GREW);
        assertThat(l.limit()).isEqualTo(1_024);
    }

    @Test
    void theMeanIsOfTheAnsweredCallsOnly() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 200);
        // 99 answered in 404 ms, one dropped: a mean of 404 ms, past twice the baseline (over all
        // 100 calls, or 101, it would be under it).
        assertThat(window(l, () -> 404 * MS, 1, l.limit())).isEqualTo(Change.DECREASED_LATENCY);
        assertThat(l.limit()).isEqualTo(506);
    }

    @Test
    void shrinksByTheGradientWhenLatencyRisesPastTwiceTheBaseline() {
        AdaptiveLimit l = new AdaptiveLimit(16, 1_024, nowNanos);
        busy(l, 200);
        busy(l, 200);
        assertThat(l.limit()).isEqualTo(1_024);
        // Within tolerance: exactly twice 200 ms.
        assertThat(busy(l, 400)).isEqualTo(Change.NONE);
        assertThat(l.limit()).isEqualTo(1_024);
        // 500 ms: gradient 2 x 200 / 500 = 0.8.
        assertThat(busy(l, 500)).isEqualTo(Change.DECREASED_LATENCY);
        assertThat(l.limit()).isEqualTo(819);
        // 4 s: gradient 0.1, but one window shrinks by half at most.
        assertThat(busy(l, 4_000)).isEqualTo(Change.DECREASED_LATENCY);
        assertThat(l.limit()).isEqualTo(409);
    }

    @Test
    void latencyUnderTheFloorIsThisJvmsNoiseNotQueueing() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 2);
        assertThat(l.limit()).isEqualTo(512);
        // 30 ms against a 2 ms baseline: under twice the 20 ms floor.
        assertThat(busy(l, 30)).isEqualTo(Change.GREW);
        assertThat(l.limit()).isEqualTo(1_024);
        // 50 ms: 2 x 20 / 50 = 0.8.
        assertThat(busy(l, 50)).isEqualTo(Change.DECREASED_LATENCY);
        assertThat(l.limit()).isEqualTo(819);
    }

    @Test
    void neverGoesBelowItsMinimumHoweverLongTheOverload() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 200);
        for (int w = 0; w < 30; w++) {
            window(l, () -> 200 * MS, SAMPLES, l.limit());
            assertThat(l.limit()).isGreaterThanOrEqualTo(16);
        }
        assertThat(l.limit()).isEqualTo(16);
        // Latency a thousand times the baseline, for 15 s.
        for (int w = 0; w < 30; w++) {
            assertThat(busy(l, 200_000)).isEqualTo(Change.DECREASED_LATENCY);
            assertThat(l.limit()).isEqualTo(16);
        }
    }

    @Test
    void doesNotGrowWhileTheLimitHoldsNothingBack() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        // 127 in flight is under half of 256: a higher limit would not have been used.
        for (int w = 0; w < 10; w++) {
            assertThat(window(l, () -> 200 * MS, 0, 127)).isEqualTo(Change.NONE);
        }
        assertThat(l.limit()).isEqualTo(256);
        assertThat(window(l, () -> 200 * MS, 0, 128)).isEqualTo(Change.GREW);
        assertThat(l.limit()).isEqualTo(512);
    }

    @Test
    void afterAnOutageDoublesBackToHalfWhereItBeganThenGrowsByItsSquareRoot() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        for (int w = 0; w < 4; w++) {
            busy(l, 200);
        }
        assertThat(l.limit()).isEqualTo(4_096);
        for (int w = 0; w < 10; w++) {
            window(l, () -> 200 * MS, SAMPLES, l.limit());
        }
        assertThat(l.limit()).isEqualTo(16);
        List<Integer> limits = new ArrayList<>();
        for (int w = 0; w < 9; w++) {
            busy(l, 200);
            limits.add(l.limit());
        }
        // Half of 4,096 is where the outage began to tell: doubled back to in 7 windows, then + sqrt: 2,048 + 45.25,
        // 2,093.25 + 45.75.
        assertThat(limits).containsExactly(32, 64, 128, 256, 512, 1_024, 2_048, 2_093, 2_139);
    }

    @Test
    void aProviderThatGotSlowerForGoodBecomesTheNewBaselineTwoPeriodsOn() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        busy(l, 100);
        // From 1 s on the provider answers in 1 s: queueing, as long as the 100 ms window is remembered.
        long windowsIn60s = 2 * AdaptiveLimit.BASELINE_PERIOD_NANOS / AdaptiveLimit.WINDOW_NANOS;
        for (long w = 2; w < windowsIn60s; w++) {
            assertThat(busy(l, 1_000)).as("window %d", w).isEqualTo(Change.DECREASED_LATENCY);
        }
        // The window that ends at 60 s: two periods on, the 100 ms window is forgotten; 1 s is the norm.
        assertThat(busy(l, 1_000)).isEqualTo(Change.GREW);
    }

    @Test
    void aWindowNeedsBothItsTimeAndItsSamples() {
        AdaptiveLimit l = new AdaptiveLimit(16, 4_096, nowNanos);
        // 31 samples over ten seconds: not enough samples.
        for (int i = 0; i < AdaptiveLimit.WINDOW_SAMPLES_MIN - 1; i++) {
            nowNanos += 10_000 * MS / 31;
            assertThat(l.onSample(200 * MS, false, 256, nowNanos)).isEqualTo(Change.NONE);
        }
        // The 32nd: enough of both.
        assertThat(l.onSample(200 * MS, false, 256, nowNanos)).isEqualTo(Change.GREW);
        // A thousand samples within 499 ms: not long enough.
        long start = nowNanos;
        for (int i = 0; i < 1_000; i++) {
            assertThat(l.onSample(200 * MS, false, 512, start + i * (499 * MS / 1_000)))
                    .isEqualTo(Change.NONE);
        }
        assertThat(l.onSample(200 * MS, false, 512, start + 500 * MS)).isEqualTo(Change.GREW);
        assertThat(l.limit()).isEqualTo(1_024);
    }
}
