package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScheduleTest {
    private static final long START = 1_000_000_000L;

    @Test
    void sendTimesAreFixedIntervalsFromTheStartWhateverHappened() {
        Schedule s = new Schedule(START, 1_000, 5_000_000_000L);
        assertThat(s.total()).isEqualTo(5_000);
        assertThat(s.intendedNanos(0)).isEqualTo(START);
        assertThat(s.intendedNanos(1)).isEqualTo(START + 1_000_000);
        assertThat(s.intendedNanos(4_999)).isEqualTo(START + 4_999_000_000L);
    }

    @Test
    void dueCountsEveryRequestWhoseTimeHasComeEvenAfterAStall() {
        Schedule s = new Schedule(START, 100, 10_000_000_000L);
        assertThat(s.dueBy(START - 1)).isZero();
        assertThat(s.dueBy(START)).isEqualTo(1);
        assertThat(s.dueBy(START + 9_999_999)).isEqualTo(1);
        assertThat(s.dueBy(START + 10_000_000)).isEqualTo(2);
        // A sender that stalled 3 s owes all 301 requests due by then, not one.
        assertThat(s.dueBy(START + 3_000_000_000L)).isEqualTo(301);
        assertThat(s.dueBy(START + 60_000_000_000L)).isEqualTo(s.total()).isEqualTo(1_000);
    }

    @Test
    void fractionalRatesKeepTheirAverage() {
        Schedule s = new Schedule(0, 2.5, 4_000_000_000L);
        assertThat(s.total()).isEqualTo(10);
        assertThat(s.intendedNanos(5)).isEqualTo(2_000_000_000L);
    }

    @Test
    void rejectsNonPositiveRates() {
        assertThatThrownBy(() -> new Schedule(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
