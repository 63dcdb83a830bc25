package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Group commit, the pure part: entries wait here while one batch is being written, and everything
 * that waited goes into the next batch (natural batching; an optional {@code lingerMs} holds a lone
 * first entry a little for company). At most one batch is out at a time, at most {@code batchMax}
 * entries per batch and {@code queuedMax} waiting; an entry over that bound is refused, never queued.
 * Time is a parameter; not thread-safe (one event loop owns it).
 */
public final class GroupCommitQueue<E> {
    /** Whether a batch taken from this queue is being written. */
    public enum State {
        IDLE,
        WRITING;

        boolean canMoveTo(State next) {
            return this != next;
        }
    }

    private final int batchMax;
    private final int queuedMax;
    private final long lingerMs;
    private final ArrayDeque<E> waiting = new ArrayDeque<>();
    /** When the oldest waiting entry arrived, if any wait. */
    private long oldestArrivedMs;

    private State state = State.IDLE;

    public GroupCommitQueue(int batchMax, int queuedMax, long lingerMs) {
        Check.argument(batchMax >= 1, "batchMax must be at least 1, got %d", batchMax);
        Check.argument(queuedMax >= batchMax, "queuedMax (%d) must be at least batchMax (%d)", queuedMax, batchMax);
        Check.argument(lingerMs >= 0 && lingerMs <= 1_000, "lingerMs must be within 0..1000, got %d", lingerMs);
        this.batchMax = batchMax;
        this.queuedMax = queuedMax;
        this.lingerMs = lingerMs;
    }

    /** Queues {@code entry}; false, and nothing queued, when {@code queuedMax} entries already wait. */
    public boolean offer(E entry, long nowMs) {
        if (waiting.size() >= queuedMax) {
            return false;
        }
        if (waiting.isEmpty()) {
            oldestArrivedMs = nowMs;
        }
        waiting.addLast(entry);
        return true;
    }

    /**
     * The next batch to write, oldest first, or an empty list: while a batch is being written, when
     * nothing waits, or while a partial batch lingers. A non-empty answer moves to {@link
     * State#WRITING} until {@link #written}.
     */
    public List<E> take(long nowMs) {
        if (state == State.WRITING || waiting.isEmpty()) {
            return List.of();
        }
        if (waiting.size() < batchMax && nowMs < oldestArrivedMs + lingerMs) {
            return List.of();
        }
        int n = Math.min(batchMax, waiting.size());
        List<E> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(waiting.pollFirst());
        }
        // Entries left behind waited at least as long as the batch's newest; they are due at once.
        oldestArrivedMs = nowMs - lingerMs;
        transitionTo(State.WRITING);
        return batch;
    }

    /** The batch last taken is written (committed or failed): the next may be taken. */
    public void written() {
        transitionTo(State.IDLE);
    }

    /**
     * When {@link #take} will next answer a batch if nothing else happens: {@code nowMs} or later,
     * or -1 when it waits on nothing (no entries, or a batch being written).
     */
    public long dueMs(long nowMs) {
        if (state == State.WRITING || waiting.isEmpty()) {
            return -1;
        }
        return waiting.size() >= batchMax ? nowMs : Math.max(nowMs, oldestArrivedMs + lingerMs);
    }

    public int waiting() {
        return waiting.size();
    }

    public State state() {
        return state;
    }

    private void transitionTo(State next) {
        Check.state(state.canMoveTo(next), "group commit cannot move from %s to %s", state, next);
        state = next;
    }
}
