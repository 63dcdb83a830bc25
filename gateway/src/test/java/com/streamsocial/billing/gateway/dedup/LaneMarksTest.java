package com.streamsocial.billing.gateway.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.gateway.dedup.LaneMarks.Range;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LaneMarksTest {
    /** Runs one batch through: numbered, then closed. */
    private static long batch(LaneMarks m, boolean settled) {
        long b = m.nextBatch();
        m.close(b, settled);
        return b;
    }

    @Test
    void settledBatchesGrowOneRangeWrittenInPlace() {
        LaneMarks m = new LaneMarks();
        assertThat(m.toWrite()).as("everything closed as settled is written").isEmpty();
        assertThat(batch(m, true)).isEqualTo(1);
        assertThat(batch(m, true)).isEqualTo(2);
        assertThat(m.toWrite()).containsExactly(new Range(1, 2));
        m.written(m.toWrite());
        assertThat(m.toWrite()).as("everything closed as settled is written").isEmpty();
        batch(m, true);
        // The same range, grown: its row in lane_commits is updated, not a new one inserted.
        assertThat(m.toWrite()).containsExactly(new Range(1, 3));
    }

    @Test
    void aBatchOfUnknownFateEndsTheRangeAndIsNeverCovered() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        batch(m, true);
        long unknown = batch(m, false);
        batch(m, true);
        batch(m, true);
        List<Range> ranges = m.toWrite();
        assertThat(ranges).containsExactly(new Range(1, 2), new Range(4, 5));
        assertThat(ranges).noneMatch(r -> r.fromBatch() <= unknown && unknown <= r.toBatch());
    }

    @Test
    void aWrittenRangeEndedByAFailureIsNotWrittenAgain() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        m.written(m.toWrite());
        batch(m, false);
        assertThat(m.toWrite()).as("everything closed as settled is written").isEmpty();
        batch(m, true);
        assertThat(m.toWrite()).containsExactly(new Range(3, 3));
    }

    @Test
    void aRangeWrittenInPartThenEndedIsWrittenToItsEnd() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        m.written(m.toWrite());
        batch(m, true);
        batch(m, false);
        assertThat(m.toWrite()).containsExactly(new Range(1, 2));
        m.written(m.toWrite());
        assertThat(m.toWrite()).as("everything closed as settled is written").isEmpty();
    }

    @Test
    void aStatementInFlightWhileTheRangeGrowsLeavesTheGrowthToWrite() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        List<Range> carried = m.toWrite();
        batch(m, true); // closed while the statement carrying 1..1 runs
        m.written(carried);
        assertThat(m.toWrite()).containsExactly(new Range(1, 2));
    }

    @Test
    void aStatementInFlightWhenTheRangeEndsRemovesItOnceWritten() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        List<Range> carried = m.toWrite();
        batch(m, false); // seals 1..1 while its statement runs
        assertThat(m.toWrite()).containsExactly(new Range(1, 1));
        m.written(carried);
        assertThat(m.toWrite()).isEmpty();
    }

    @Test
    void aFailedStatementLeavesEverythingToWrite() {
        LaneMarks m = new LaneMarks();
        batch(m, true);
        batch(m, false);
        batch(m, true);
        List<Range> carried = m.toWrite();
        // The statement failed: written() is not called, and the next one carries the same.
        assertThat(m.toWrite()).isEqualTo(carried).containsExactly(new Range(1, 1), new Range(3, 3));
    }

    @Test
    void sealedRangesAreBoundedAndFullPastTheirMaximum() {
        LaneMarks m = new LaneMarks();
        for (int i = 0; i < LaneMarks.SEALED_RANGES_MAX - 1; i++) {
            batch(m, true);
            batch(m, false);
        }
        assertThat(m.full()).isFalse();
        batch(m, true);
        batch(m, false);
        assertThat(m.full()).isTrue();
        m.written(m.toWrite());
        assertThat(m.full()).isFalse();
    }

    @Test
    void batchesAreClosedInOrderOneAtATime() {
        LaneMarks m = new LaneMarks();
        long b = m.nextBatch();
        assertThatThrownBy(m::nextBatch).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.close(b + 1, true)).isInstanceOf(IllegalArgumentException.class);
        m.close(b, true);
        assertThatThrownBy(() -> m.close(b, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Range(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Range(3, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Range(2, 2).toBatch()).isEqualTo(2);
    }

    /**
     * Over random runs, with statements that fail or overlap: once every range has been written, a
     * batch is covered exactly when it was settled, and the ranges never overlap.
     */
    @Test
    void randomRunsCoverExactlyTheSettledBatches() {
        Random random = new Random(17);
        for (int run = 0; run < 500; run++) {
            LaneMarks m = new LaneMarks();
            List<Boolean> settled = new ArrayList<>();
            List<Range> table = new ArrayList<>();
            List<Range> inFlight = null;
            for (int step = 0; step < 60; step++) {
                switch (random.nextInt(4)) {
                    case 0, 1 -> {
                        boolean ok = random.nextInt(5) != 0;
                        settled.add(ok);
                        batch(m, ok);
                    }
                    case 2 -> inFlight = m.toWrite();
                    default -> {
                        if (inFlight != null && random.nextBoolean()) {
                            write(table, inFlight);
                            m.written(inFlight);
                        }
                        inFlight = null;
                    }
                }
            }
            List<Range> last = m.toWrite();
            write(table, last);
            m.written(last);
            assertThat(m.toWrite()).isEmpty();
            for (int b = 1; b <= settled.size(); b++) {
                long batch = b;
                boolean covered = table.stream().anyMatch(r -> r.fromBatch() <= batch && batch <= r.toBatch());
                assertThat(covered).as("run %d batch %d", run, b).isEqualTo(settled.get(b - 1));
            }
        }
    }

    /** lane_commits' upsert: a range grows in place by its first batch, never shrinks. */
    private static void write(List<Range> table, List<Range> ranges) {
        for (Range r : ranges) {
            Range old = table.stream()
                    .filter(t -> t.fromBatch() == r.fromBatch())
                    .findFirst()
                    .orElse(null);
            if (old != null) {
                table.remove(old);
                table.add(new Range(r.fromBatch(), Math.max(old.toBatch(), r.toBatch())));
            } else {
                table.add(r);
            }
        }
    }
}
