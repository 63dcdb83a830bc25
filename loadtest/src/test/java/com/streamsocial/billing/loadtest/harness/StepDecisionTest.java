package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.loadtest.harness.StepDecision.StepStats;
import com.streamsocial.billing.loadtest.harness.StepDecision.Verdict;
import org.junit.jupiter.api.Test;

class StepDecisionTest {
    private static StepStats step(double rate, long errors, double p99Ms, long lagStart, long lagEnd) {
        long scheduled = (long) (rate * 10);
        return new StepStats(rate, 10, scheduled, scheduled - errors, errors, p99Ms, lagStart, lagEnd);
    }

    @Test
    void aStepWithinEveryLimitPassesBoth() {
        Verdict v = StepDecision.decide(step(1_000, 9, 50.0, 100, 1_000), 1.0);
        assertThat(v.ingestOk()).isTrue();
        assertThat(v.endToEndOk()).isTrue();
        assertThat(v.why()).isEmpty();
    }

    @Test
    void p99AboveFiftyMillisecondsFailsIngest() {
        Verdict v = StepDecision.decide(step(1_000, 0, 50.1, 0, 0), 1.0);
        assertThat(v.ingestOk()).isFalse();
        assertThat(v.endToEndOk()).isFalse();
        assertThat(v.why()).contains("p99");
    }

    @Test
    void errorsAtOneInAThousandFailIngest() {
        // 10,000 scheduled: 10 errors is 0.1 %, not below it.
        Verdict v = StepDecision.decide(step(1_000, 10, 5, 0, 0), 1.0);
        assertThat(v.ingestOk()).isFalse();
        assertThat(v.why()).contains("errors");
    }

    @Test
    void answeringTooFewFailsIngest() {
        Verdict v = StepDecision.decide(new StepStats(1_000, 10, 10_000, 9_000, 0, 5, 0, 0), 1.0);
        assertThat(v.ingestOk()).isFalse();
        assertThat(v.why()).contains("answered");
    }

    @Test
    void growingLagFailsOnlyEndToEnd() {
        Verdict v = StepDecision.decide(step(1_000, 0, 5, 100, 1_101), 1.0);
        assertThat(v.ingestOk()).isTrue();
        assertThat(v.endToEndOk()).isFalse();
        assertThat(v.why()).contains("lag grew by 1001");
        // A lag that shrinks, or stays, keeps up.
        assertThat(StepDecision.decide(step(1_000, 0, 5, 5_000, 10), 1.0).endToEndOk())
                .isTrue();
    }

    @Test
    void unknownLagCannotPassEndToEnd() {
        Verdict v = StepDecision.decide(step(1_000, 0, 5, -1, -1), 1.0);
        assertThat(v.ingestOk()).isTrue();
        assertThat(v.endToEndOk()).isFalse();
    }

    @Test
    void theSearchKeepsTheHighestRateOfTheUnbrokenPassingRun() {
        StepDecision.Search s = new StepDecision.Search();
        assertThat(s.record(1_000, new Verdict(true, true, ""))).isTrue();
        assertThat(s.record(2_000, new Verdict(true, false, "lag"))).isTrue();
        // A later end-to-end pass does not count: processing fell behind below it.
        assertThat(s.record(3_000, new Verdict(true, true, ""))).isTrue();
        assertThat(s.record(4_000, new Verdict(false, false, "p99"))).isFalse();
        assertThat(s.ingestMax()).isEqualTo(3_000);
        assertThat(s.endToEndMax()).isEqualTo(1_000);
    }

    @Test
    void nothingPassingGivesZero() {
        StepDecision.Search s = new StepDecision.Search();
        assertThat(s.record(500, new Verdict(false, false, "p99"))).isFalse();
        assertThat(s.ingestMax()).isZero();
        assertThat(s.endToEndMax()).isZero();
    }
}
