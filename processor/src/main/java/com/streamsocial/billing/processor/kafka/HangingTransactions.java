package com.streamsocial.billing.processor.kafka;

import java.util.Set;

/**
 * Decides whether a transaction left open on a partition is <em>hanging</em>: its records hold the
 * partition's last stable offset back, yet its coordinator no longer has it in progress, so nothing
 * will ever end it. Such a transaction stops every read_committed reader of the partition; on
 * {@code __consumer_offsets} its pending offsets stop a consumer of the group at
 * {@code UNSTABLE_OFFSET_COMMIT} (a processor loop waits there, forever, without an error).
 *
 * <p>Only a processor's read-process-write transaction is ever judged {@link Verdict#HANGING}: ours to
 * abort. Aborting it on one partition can split it: the chaos run of 2026-12-07 (CI, stop 27) had a
 * transaction committed on payments.results but left open on {@code __consumer_offsets}; aborting that
 * part rolls the group's offsets back, so the batch is read again although its outcomes are committed.
 * That is safe only because the processor re-emits a stored outcome solely when payments.results does
 * not hold it ({@link CommittedOutcomes}). Anyone else's is {@link Verdict#NOT_OURS}: reported, never
 * touched. Pure: time is a parameter and it imports no Kafka.
 *
 * <p>When: after {@code hangingAfterMs} (two transaction timeouts) without a write, or sooner, after
 * {@link #MOVED_ON_SETTLED_MS}, when the coordinator has moved on: same producer id, nothing in
 * progress, and a later epoch than the one the transaction wrote with. The coordinator writes every
 * marker before it completes a transaction, so a partition still open at an older epoch will never get
 * one (the state {@code HangingTransactionIT}'s fixture shows: open at epoch 5, coordinator idle at 10).
 * Waiting the full two timeouts there kept a restarted processor from committing for over 120 s.
 */
public final class HangingTransactions {
    /** How the coordinator sees a transactional id, reduced to what the verdict needs. */
    public enum CoordinatorState {
        /** Ongoing: the coordinator aborts it itself when its timeout passes. */
        ONGOING,
        /** Prepare commit or abort: the coordinator is writing its markers. */
        PREPARING,
        /** Empty, complete, dead, or anything else: no transaction in progress. */
        IDLE
    }

    /** A transaction open on one partition, as the partition's leader reports its producer. */
    public record OpenTransaction(
            String topic, int partition, long producerId, int producerEpoch, long startOffset, long lastWriteMs) {}

    /** The coordinator's view of the transactional id that owns the producer id, when there is one. */
    public record Coordinator(
            String transactionalId,
            CoordinatorState state,
            long producerId,
            int producerEpoch,
            Set<String> partitions) {}

    public enum Verdict {
        /** Written to recently: the coordinator's own timeout still applies. */
        RECENT,
        /** The coordinator has it in progress (or is ending it): leave it to the coordinator. */
        IN_PROGRESS,
        /** Hanging, but not a processor's (or no transactional id owns the producer): report only. */
        NOT_OURS,
        /** Hanging and a processor's: abort it. */
        HANGING
    }

    /**
     * How long a transaction the coordinator has moved on from must have gone unwritten before it is
     * judged hanging: far longer than a coordinator takes to write its markers.
     */
    public static final long MOVED_ON_SETTLED_MS = 10_000;

    private HangingTransactions() {}

    /**
     * The verdict on {@code open} at {@code nowMs}. {@code coordinator} is null when no transactional id
     * owns the producer id. {@code hangingAfterMs} must exceed the longest transaction timeout of the
     * producers that write here, so that the coordinator has had every chance to end it.
     */
    public static Verdict judge(
            OpenTransaction open, Coordinator coordinator, String ourIdPrefix, long nowMs, long hangingAfterMs) {
        long idleMs = nowMs - open.lastWriteMs();
        if (idleMs < MOVED_ON_SETTLED_MS || (idleMs < hangingAfterMs && !movedOn(open, coordinator))) {
            return Verdict.RECENT;
        }
        if (coordinator != null && inProgress(open, coordinator)) {
            return Verdict.IN_PROGRESS;
        }
        if (coordinator == null || !coordinator.transactionalId().startsWith(ourIdPrefix)) {
            return Verdict.NOT_OURS;
        }
        return Verdict.HANGING;
    }

    /** The coordinator is done with the producer's epoch the transaction wrote with, and has nothing open. */
    private static boolean movedOn(OpenTransaction open, Coordinator c) {
        return c != null
                && c.state() == CoordinatorState.IDLE
                && c.producerId() == open.producerId()
                && c.producerEpoch() > open.producerEpoch();
    }

    /**
     * The same transaction, still in the coordinator's hands: same producer, the partition in its set,
     * and the epoch it wrote with (or the next one, which transaction version 2 uses for the markers).
     */
    private static boolean inProgress(OpenTransaction open, Coordinator c) {
        if (c.state() == CoordinatorState.IDLE || c.producerId() != open.producerId()) {
            return false;
        }
        boolean sameEpoch = c.producerEpoch() == open.producerEpoch() || c.producerEpoch() == open.producerEpoch() + 1;
        return sameEpoch && c.partitions().contains(open.topic() + "-" + open.partition());
    }
}
