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
 * abort, because aborting it is safe. It holds outcomes, metrics events and the batch's offsets, all
 * or nothing; once aborted, the batch is read again, the ledger in PostgreSQL knows it, and its
 * outcomes are emitted once more. Anyone else's is {@link Verdict#NOT_OURS}: reported, never touched.
 * Pure: time is a parameter and it imports no Kafka.
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

    private HangingTransactions() {}

    /**
     * The verdict on {@code open} at {@code nowMs}. {@code coordinator} is null when no transactional id
     * owns the producer id. {@code hangingAfterMs} must exceed the longest transaction timeout of the
     * producers that write here, so that the coordinator has had every chance to end it.
     */
    public static Verdict judge(
            OpenTransaction open, Coordinator coordinator, String ourIdPrefix, long nowMs, long hangingAfterMs) {
        if (nowMs - open.lastWriteMs() < hangingAfterMs) {
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
