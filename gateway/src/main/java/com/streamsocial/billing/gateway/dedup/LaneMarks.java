package com.streamsocial.billing.gateway.dedup;

import com.streamsocial.billing.events.Check;
import java.util.ArrayList;
import java.util.List;

/**
 * One lane's accepted mark as ranges of batch numbers instead of a mark on every row: a reservation
 * whose batch number lies in a range the lane wrote to {@code lane_commits} is accepted. A range holds
 * only batches whose rows are all committed to Kafka or gone; a batch that may have left rows of
 * unknown fate (its transaction failed and its reservations were not released) ends the range, so no
 * later range ever covers its rows. Pure and single-threaded: the lane's event loop owns it.
 *
 * <p>Batches are closed in the order they were numbered, one after another (a lane has at most one
 * batch in flight). The ranges to write ride on the next statement, as the per-row marks did.
 */
public final class LaneMarks {
    /** A range of batch numbers, both ends included, that {@code lane_commits} holds or must hold. */
    public record Range(long fromBatch, long toBatch) {
        public Range {
            Check.argument(fromBatch >= 1 && toBatch >= fromBatch, "bad range %d..%d", fromBatch, toBatch);
        }
    }

    /**
     * Ranges ended by a batch of unknown fate that must still be written, at most this many. Each is
     * one failed batch; past this many unwritten, PostgreSQL is failing too, and the lane sheds.
     */
    public static final int SEALED_RANGES_MAX = 1_024;

    private final List<Range> sealed = new ArrayList<>();
    private long lastNumber;
    private long lastClosed;
    /** The open range's first batch, 0 when none is open (none yet, or the last batch was of unknown fate). */
    private long openFrom;

    private long openTo;
    /** The open range's end as last written (0: never). */
    private long openWrittenTo;

    /** The next batch's number, 1 first: its reservations carry it. */
    public long nextBatch() {
        Check.state(lastClosed == lastNumber, "batch %d is still open", lastNumber);
        return ++lastNumber;
    }

    /**
     * Closes the current batch. {@code settled}: every row it reserved or took over is committed to
     * Kafka or deleted again (or it held none); false when some may be left reserved, undecided.
     */
    public void close(long batch, boolean settled) {
        Check.argument(
                batch == lastNumber && batch == lastClosed + 1, "closing batch %d, open is %d", batch, lastNumber);
        lastClosed = batch;
        if (!settled) {
            if (openFrom != 0 && openWrittenTo != openTo) {
                sealed.add(new Range(openFrom, openTo));
            }
            openFrom = 0;
            openWrittenTo = 0;
            return;
        }
        if (openFrom == 0) {
            openFrom = batch;
        }
        openTo = batch;
    }

    /** The ranges a statement should write now: the sealed ones, then the open one if it grew. */
    public List<Range> toWrite() {
        List<Range> out = new ArrayList<>(sealed.size() + 1);
        out.addAll(sealed);
        if (openFrom != 0 && openWrittenTo != openTo) {
            out.add(new Range(openFrom, openTo));
        }
        return out;
    }

    /** {@code ranges}, from {@link #toWrite}, are committed in PostgreSQL. */
    public void written(List<Range> ranges) {
        for (Range r : ranges) {
            if (r.fromBatch() == openFrom && r.toBatch() > openWrittenTo) {
                openWrittenTo = r.toBatch();
            } else {
                sealed.remove(r);
            }
        }
    }

    /** Too many ended ranges wait to be written: PostgreSQL is failing. */
    public boolean full() {
        return sealed.size() >= SEALED_RANGES_MAX;
    }
}
