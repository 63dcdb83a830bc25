package com.streamsocial.billing.processor.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.PaymentStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {
    private static InputRecord rec(int partition, long offset, String key, String hash) {
        PaymentEvent e = new PaymentEvent(
                PaymentIds.paymentId("t", key), "t", key, hash, 100, "USD", "c", "pm", "", Map.of(), 1);
        return InputRecord.of(partition, offset, e, false);
    }

    private static StoredPayment stored(InputRecord claimedBy, PaymentStatus status, String hash) {
        PaymentEvent e = claimedBy.event();
        return new StoredPayment(
                e.paymentId(),
                "t",
                e.idempotencyKey(),
                hash,
                100,
                "USD",
                status,
                claimedBy.partition(),
                claimedBy.offset(),
                null,
                null,
                5);
    }

    @Test
    void newPaymentsAreProcessed() {
        InputRecord a = rec(0, 1, "a", "h1");
        InputRecord b = rec(0, 2, "b", "h2");
        Plan p = BatchPlanner.plan(
                List.of(a, b), Set.of(a.event().paymentId(), b.event().paymentId()), Map.of());
        assertThat(p.toProcess()).containsExactly(a, b);
        assertThat(p.toReEmit()).isEmpty();
    }

    @Test
    void theSameRecordReplayedAfterACrashReEmitsTheStoredOutcome() {
        InputRecord a = rec(1, 7, "a", "h1");
        StoredPayment s = stored(a, PaymentStatus.SUCCEEDED, "h1");
        Plan p = BatchPlanner.plan(List.of(a), Set.of(), Map.of(s.paymentId(), s));
        assertThat(p.toReEmit()).containsExactly(s);
        assertThat(p.toProcess()).isEmpty();
    }

    @Test
    void theSameRecordReplayedBeforeItsOutcomeWasStoredIsProcessedAgain() {
        InputRecord a = rec(1, 7, "a", "h1");
        StoredPayment s = stored(a, PaymentStatus.CHARGING, "h1");
        Plan p = BatchPlanner.plan(List.of(a), Set.of(), Map.of(s.paymentId(), s));
        assertThat(p.toProcess()).containsExactly(a);
    }

    @Test
    void anotherRecordOfAClaimedPaymentIsADuplicateAndEmitsNothing() {
        InputRecord first = rec(1, 7, "a", "h1");
        InputRecord second = rec(2, 9, "a", "h1");
        StoredPayment s = stored(first, PaymentStatus.SUCCEEDED, "h1");
        Plan p = BatchPlanner.plan(List.of(second), Set.of(), Map.of(s.paymentId(), s));
        assertThat(p.duplicates()).containsExactly(second);
        assertThat(p.toReEmit()).isEmpty();
    }

    @Test
    void aReDrivenRecordReEmitsAFinalOutcomeAndResumesAnUnfinishedOne() {
        InputRecord first = rec(1, 7, "a", "h1");
        InputRecord redrive = InputRecord.of(0, 99, first.event(), true);
        StoredPayment done = stored(first, PaymentStatus.SUCCEEDED, "h1");
        assertThat(BatchPlanner.plan(List.of(redrive), Set.of(), Map.of(done.paymentId(), done))
                        .toReEmit())
                .containsExactly(done);
        StoredPayment stuck = stored(first, PaymentStatus.CHARGING, "h1");
        assertThat(BatchPlanner.plan(List.of(redrive), Set.of(), Map.of(stuck.paymentId(), stuck))
                        .toProcess())
                .containsExactly(redrive);
    }

    @Test
    void aDifferentRequestUnderAKnownKeyIsAConflict() {
        InputRecord first = rec(1, 7, "a", "h1");
        InputRecord other = rec(2, 9, "a", "h2");
        StoredPayment s = stored(first, PaymentStatus.SUCCEEDED, "h1");
        Plan p = BatchPlanner.plan(List.of(other), Set.of(), Map.of(s.paymentId(), s));
        assertThat(p.conflicts()).extracting(Plan.Conflict::record).containsExactly(other);
        assertThat(p.conflicts().get(0).storedHash()).isEqualTo("h1");
    }

    @Test
    void repeatsInsideOneBatchAreDuplicatesOrConflictsOfTheFirst() {
        InputRecord a = rec(0, 1, "a", "h1");
        InputRecord again = rec(0, 2, "a", "h1");
        InputRecord changed = rec(0, 3, "a", "h9");
        assertThat(BatchPlanner.claimCandidates(List.of(a, again, changed))).containsExactly(a);
        Plan p = BatchPlanner.plan(List.of(a, again, changed), Set.of(a.event().paymentId()), Map.of());
        assertThat(p.toProcess()).containsExactly(a);
        assertThat(p.duplicates()).containsExactly(again);
        assertThat(p.conflicts()).extracting(Plan.Conflict::record).containsExactly(changed);
    }

    @Test
    void unparseableRecordsAreDeadLetteredWithTheirError() {
        InputRecord bad = InputRecord.decode(0, 4, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1}, false);
        InputRecord good = rec(0, 5, "a", "h1");
        Plan p = BatchPlanner.plan(List.of(bad, good), Set.of(good.event().paymentId()), Map.of());
        assertThat(p.deadLetters()).extracting(Plan.DeadLetter::record).containsExactly(bad);
        assertThat(p.deadLetters().get(0).error().code()).isEqualTo(DecodeError.Code.UNPARSEABLE);
        assertThat(p.toProcess()).containsExactly(good);
    }

    @Test
    void aRecordKeyedByAnotherIdIsNotAnEvent() {
        PaymentEvent e = rec(0, 1, "a", "h1").event();
        InputRecord wrongKey = InputRecord.decode(0, 1, "k".getBytes(StandardCharsets.UTF_8), e.toBytes(), false);
        assertThat(wrongKey.parsed()).isFalse();
        assertThat(wrongKey.error().code()).isEqualTo(DecodeError.Code.KEY_MISMATCH);
        assertThat(InputRecord.decode(0, 1, null, e.toBytes(), true).event()).isEqualTo(e);
        assertThat(InputRecord.decode(0, 1, e.paymentId().getBytes(StandardCharsets.UTF_8), null, false)
                        .error()
                        .code())
                .isEqualTo(DecodeError.Code.NO_VALUE);
    }

    @Test
    void aRecordNeitherInsertedNorFoundIsDeadLetteredAndTheRestOfTheBatchGoesOn() {
        InputRecord a = rec(0, 1, "a", "h1");
        InputRecord b = rec(0, 2, "b", "h2");
        Plan p = BatchPlanner.plan(List.of(a, b), Set.of(b.event().paymentId()), Map.of());
        assertThat(p.deadLetters()).extracting(Plan.DeadLetter::record).containsExactly(a);
        assertThat(p.deadLetters().get(0).error().code()).isEqualTo(DecodeError.Code.UNPLANNABLE);
        assertThat(p.toProcess()).containsExactly(b);
    }
}
