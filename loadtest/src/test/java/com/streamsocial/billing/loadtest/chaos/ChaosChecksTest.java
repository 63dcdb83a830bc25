package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Effects;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Position;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Read;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Tally;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each rule holds on a clean history and names the violation on a synthetic history that breaks it. */
class ChaosChecksTest {
    private static Position p(int partition, long offset) {
        return new Position("payments.results", partition, offset);
    }

    @Test
    void aReadOfAnAbortedRecordIsAnAbortedRead() {
        Map<Position, String> committed = Map.of(p(0, 0), "a", p(0, 2), "b");
        // Offset 1 was written in a transaction that was aborted (only read_uncommitted returns it).
        Map<Position, String> written = Map.of(p(0, 0), "a", p(0, 1), "x", p(0, 2), "b");
        List<Read> clean = List.of(new Read(p(0, 0), "a"), new Read(p(0, 2), "b"));
        assertThat(ChaosChecks.abortedReads(clean, committed, written)).isEmpty();
        assertThat(ChaosChecks.abortedRecords(committed, written)).isEqualTo(1);

        List<Read> dirty = List.of(new Read(p(0, 0), "a"), new Read(p(0, 1), "x"), new Read(p(0, 9), "y"));
        assertThat(ChaosChecks.abortedReads(dirty, committed, written))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("aborted-read", "x"),
                        org.assertj.core.groups.Tuple.tuple("phantom-read", "y"));
        assertThat(ChaosChecks.abortedReads(List.of(new Read(p(0, 2), "z")), committed, written))
                .extracting(Violation::rule)
                .containsExactly("changed-read");
    }

    @Test
    void twoCommittedOutcomesOfOnePaymentAreADuplicate() {
        assertThat(ChaosChecks.duplicateOutcomes(List.of(new Read(p(0, 0), "a"), new Read(p(1, 0), "b"))))
                .isEmpty();
        List<Violation> v = ChaosChecks.duplicateOutcomes(
                List.of(new Read(p(0, 0), "a"), new Read(p(1, 0), "b"), new Read(p(0, 5), "a")));
        assertThat(v)
                .extracting(Violation::rule, Violation::id)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("duplicate-outcome", "a"));
        assertThat(v.get(0).detail()).contains("2 outcomes");
    }

    @Test
    void aBillingEventWithoutItsMetricsEventOrTheOtherWayRoundBreaksBothOrNeither() {
        assertThat(ChaosChecks.batchAtomicity(Set.of("a", "b"), Set.of("a", "b")))
                .isEmpty();
        assertThat(ChaosChecks.batchAtomicity(Set.of("a", "b"), Set.of("a", "c")))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("both-or-neither", "b"),
                        org.assertj.core.groups.Tuple.tuple("both-or-neither", "c"));
    }

    @Test
    void offsetsThatMoveBackOrRepeatForAReaderAreCaught() {
        OffsetOrder o = new OffsetOrder();
        assertThat(o.observe("r-0", 1, true)).isEmpty();
        assertThat(o.observe("r-0", 2, true)).isEmpty();
        assertThat(o.observe("r-1", 0, true)).isEmpty();
        assertThat(o.observe("r-0", 2, true)).get().extracting(Violation::rule).isEqualTo("offsets-forward");
        assertThat(o.observe("r-0", 1, true)).isPresent();
        // A committed offset may be seen unchanged, never lower.
        assertThat(o.observe("g-0", 5, false)).isEmpty();
        assertThat(o.observe("g-0", 5, false)).isEmpty();
        assertThat(o.observe("g-0", 4, false)).isPresent();
        assertThat(o.observe("g-0", 6, false)).isEmpty();
    }

    private static Effects effects(Map<String, int[]> byId) {
        Map<String, Integer> ledger = new HashMap<>(),
                charges = new HashMap<>(),
                outcomes = new HashMap<>(),
                billing = new HashMap<>();
        byId.forEach((id, n) -> {
            ledger.put(id, n[0]);
            charges.put(id, n[1]);
            outcomes.put(id, n[2]);
            billing.put(id, n[3]);
        });
        return new Effects(ledger, charges, outcomes, billing);
    }

    @Test
    void aCleanRunCountsAcceptedUnknownAndRefused() {
        Map<String, Answer> answers =
                Map.of("a", Answer.ACCEPTED, "u1", Answer.UNKNOWN, "u2", Answer.UNKNOWN, "r", Answer.REJECTED);
        Tally t =
                ChaosChecks.verify(answers, effects(Map.of("a", new int[] {1, 1, 1, 1}, "u1", new int[] {1, 1, 1, 1})));
        assertThat(t.violations()).isEmpty();
        assertThat(t.accepted()).isEqualTo(1);
        assertThat(t.acceptedComplete()).isEqualTo(1);
        assertThat(t.unknownPresent()).isEqualTo(1);
        assertThat(t.unknownAbsent()).isEqualTo(1);
        assertThat(t.rejected()).isEqualTo(1);
    }

    @Test
    void anAcceptedPaymentLostChargedTwiceOrWithoutItsOutcomeIsAViolation() {
        Map<String, Answer> answers =
                Map.of("lost", Answer.ACCEPTED, "twice", Answer.ACCEPTED, "silent", Answer.ACCEPTED);
        Tally t = ChaosChecks.verify(
                answers, effects(Map.of("twice", new int[] {1, 2, 1, 1}, "silent", new int[] {1, 1, 0, 1})));
        assertThat(t.violations())
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("accepted-once", "lost"),
                        org.assertj.core.groups.Tuple.tuple("accepted-once", "silent"),
                        org.assertj.core.groups.Tuple.tuple("accepted-once", "twice"));
        assertThat(t.violations().get(2).detail()).contains("charges 2");
    }

    @Test
    void anUnknownPaymentHalfThereIsAViolation() {
        Tally t = ChaosChecks.verify(Map.of("u", Answer.UNKNOWN), effects(Map.of("u", new int[] {1, 0, 0, 1})));
        assertThat(t.violations()).extracting(Violation::rule).containsExactly("unknown-all-or-nothing");
    }

    @Test
    void anythingPresentThatWasRefusedOrNeverSentIsAViolation() {
        Tally t = ChaosChecks.verify(
                Map.of("r", Answer.REJECTED),
                effects(Map.of("r", new int[] {0, 0, 0, 1}, "stranger", new int[] {0, 1, 0, 0})));
        assertThat(t.violations())
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("not-accepted", "r"),
                        org.assertj.core.groups.Tuple.tuple("not-accepted", "stranger"));
    }

    @Test
    void theComparisonCountsLostPaymentsAndDuplicateOutcomesAndCharges() {
        Map<String, Answer> answers = Map.of(
                "ok", Answer.ACCEPTED,
                "lost", Answer.ACCEPTED,
                "twice", Answer.ACCEPTED,
                "charged-only", Answer.ACCEPTED,
                "refused", Answer.REJECTED);
        Effects e = new Effects(
                Map.of(), Map.of("ok", 1, "twice", 2, "charged-only", 1), Map.of("ok", 1, "twice", 3), Map.of());
        ChaosChecks.Shape s = ChaosChecks.shape(answers, e);
        // charged-only has no outcome but was charged: not lost (the money moved), only undelivered.
        assertThat(s.lost()).containsExactly("lost");
        assertThat(s.duplicateOutcomes()).containsExactly("twice");
        assertThat(s.duplicateCharges()).containsExactly("twice");
        assertThat(ChaosChecks.shape(answers, new Effects(Map.of(), Map.of("ok", 1), Map.of("ok", 1), Map.of()))
                        .lost())
                .containsExactly("charged-only", "lost", "twice");
    }

    @Test
    void theComparisonTableHasOneRowPerMode() {
        String t = ChaosCommand.table(List.of(
                new ChaosCommand.ModeRow("exactly-once", 100, 0, 0, 0, 40.0, 120.5, 0),
                new ChaosCommand.ModeRow("at-most-once", 100, 7, 0, 0, 45.0, 110.0, 14)));
        assertThat(t.lines().toList())
                .containsExactly(
                        "| mode | accepted | lost | duplicate outcomes | duplicate charges | throughput (outcomes/s) | p99 (ms) | violations |",
                        "|---|---:|---:|---:|---:|---:|---:|---:|",
                        "| exactly-once | 100 | 0 | 0 | 0 | 40.0 | 120.5 | 0 |",
                        "| at-most-once | 100 | 7 | 0 | 0 | 45.0 | 110.0 | 14 |");
    }

    @Test
    void concurrentChecksThatReadOrPolledTooLittleOrFailedAreViolations() {
        // 100 accepted: 50 records read is enough; 60 s of run: 15 polls are enough.
        assertThat(ChaosChecks.coverage(50, 100, 15, 60.0, List.of())).isEmpty();
        assertThat(ChaosChecks.coverage(49, 100, 15, 60.0, List.of()))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("coverage", "reader"));
        assertThat(ChaosChecks.coverage(50, 100, 14, 60.0, List.of()))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("coverage", "group-poller"));
        assertThat(ChaosChecks.coverage(500, 100, 100, 60.0, List.of("poller: java.lang.IllegalStateException: x")))
                .extracting(Violation::rule, Violation::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(
                        "checker-failed", "poller: java.lang.IllegalStateException: x"));
    }

    @Test
    void anExitTheScheduleDidNotCauseIsAViolationAndSoIsALivenessRestart() {
        ChaosChecks.Exit killed = new ChaosChecks.Exit("broker-1", 5.0, ChaosChecks.ExitCause.SCHEDULE, "SIGKILL");
        assertThat(ChaosChecks.unplannedExits(List.of(killed))).isEmpty();
        List<Violation> v = ChaosChecks.unplannedExits(List.of(
                killed,
                new ChaosChecks.Exit("gateway-1", 7.5, ChaosChecks.ExitCause.BY_ITSELF, "status 1"),
                new ChaosChecks.Exit("processor-1", 9.0, ChaosChecks.ExitCause.LIVENESS_PROBE, "503")));
        assertThat(v)
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("unplanned-exit", "gateway-1"),
                        org.assertj.core.groups.Tuple.tuple("unplanned-exit", "processor-1"));
        assertThat(v.get(0).detail()).isEqualTo("+7.5s by_itself: status 1");
    }

    @Test
    void outsideKillWindowsAtLeast95PercentOfTheOfferedLoadMustBeAccepted() {
        List<ChaosChecks.Window> windows = List.of(new ChaosChecks.Window(10, 20));
        List<ChaosChecks.Offer> offers = new java.util.ArrayList<>();
        // Inside the window nothing is accepted: it does not count.
        for (int i = 0; i < 50; i++) {
            offers.add(new ChaosChecks.Offer(10 + i * 0.2, false));
        }
        // Outside: 95 of 100 accepted, exactly the bound.
        for (int i = 0; i < 100; i++) {
            offers.add(new ChaosChecks.Offer(i < 50 ? i * 0.1 : 30 + i, i >= 5));
        }
        ChaosChecks.Fraction f = ChaosChecks.acceptedFraction(offers, windows);
        assertThat(f.offered()).isEqualTo(100);
        assertThat(f.accepted()).isEqualTo(95);
        assertThat(f.violations()).isEmpty();
        offers.add(new ChaosChecks.Offer(200, false));
        ChaosChecks.Fraction below = ChaosChecks.acceptedFraction(offers, windows);
        assertThat(below.value()).isLessThan(ChaosChecks.ACCEPTED_FRACTION_MIN);
        assertThat(below.violations())
                .extracting(Violation::rule, Violation::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(
                        "accepted-fraction",
                        "95 of 101 offered outside kill windows answered 2xx (94.06 %), below 95 %"));
        // Nothing offered outside the windows proves nothing.
        assertThat(ChaosChecks.acceptedFraction(offers.subList(0, 50), windows).violations())
                .extracting(Violation::rule)
                .containsExactly("accepted-fraction");
    }

    @Test
    void aKeyWithoutADefiniteAnswerIsExcusedOnlyInAKillWindowAndNeverReserved() {
        List<ChaosChecks.Window> windows = List.of(new ChaosChecks.Window(10, 20));
        Map<String, Double> lastTryS = Map.of("in-window-absent", 15.0, "in-window-reserved", 15.0, "outside", 30.0);
        ChaosChecks.Unanswered u = ChaosChecks.unanswered(lastTryS, windows, Map.of("in-window-reserved", "reserved"));
        assertThat(u.excused()).isEqualTo(1);
        assertThat(u.violations())
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("unanswered", "in-window-reserved"),
                        org.assertj.core.groups.Tuple.tuple("unanswered", "outside"));
        assertThat(u.violations().get(0).detail()).endsWith("in a kill window; payment_intents: reserved");
        assertThat(u.violations().get(1).detail()).endsWith("outside every kill window; payment_intents: no row");
    }

    @Test
    void everyAcceptedIntentIsOnTheBillingTopicExactlyOnce() {
        Map<String, String> intents =
                Map.of("once", "accepted", "never", "accepted", "twice", "accepted", "r", "reserved");
        assertThat(ChaosChecks.acceptedIntents(intents, Map.of("once", 1, "never", 0, "twice", 2)))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("intent-published-once", "never"),
                        org.assertj.core.groups.Tuple.tuple("intent-published-once", "twice"));
        assertThat(ChaosChecks.acceptedIntents(Map.of("once", "accepted"), Map.of("once", 1)))
                .isEmpty();
    }

    @Test
    void requestsStillOutstandingWhenTheWaitEndsAreViolations() {
        assertThat(ChaosChecks.outstanding(List.of())).isEmpty();
        assertThat(ChaosChecks.outstanding(List.of("a", "b")))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outstanding", "a"),
                        org.assertj.core.groups.Tuple.tuple("outstanding", "b"));
    }

    @Test
    void aChargeWithoutAPaymentIdIsAViolation() {
        assertThat(ChaosChecks.unmarkedCharges(List.of())).isEmpty();
        assertThat(ChaosChecks.unmarkedCharges(List.of("ch_2", "ch_1")))
                .extracting(Violation::rule, Violation::id)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("unmarked-charge", "ch_1"),
                        org.assertj.core.groups.Tuple.tuple("unmarked-charge", "ch_2"));
    }

    @Test
    void aRedrivenBillingRecordIsARepairNotAPublication() {
        org.apache.kafka.common.header.internals.RecordHeaders gateway =
                new org.apache.kafka.common.header.internals.RecordHeaders();
        assertThat(ChaosChecks.isPublication(gateway)).isTrue();
        org.apache.kafka.common.header.internals.RecordHeaders redriven =
                new org.apache.kafka.common.header.internals.RecordHeaders();
        redriven.add("redrive", "hanging".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(ChaosChecks.isPublication(redriven)).isFalse();
        redriven.add("other", new byte[0]);
        assertThat(ChaosChecks.isPublication(redriven)).isFalse();
    }
}
