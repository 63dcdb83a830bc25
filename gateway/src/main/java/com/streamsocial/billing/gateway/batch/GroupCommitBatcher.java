package com.streamsocial.billing.gateway.batch;

import com.streamsocial.billing.events.Check;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Gathers requests into batches for group commit, as Kafka's {@code RecordAccumulator} does for
 * records: a batch is ready at {@code batchRecordsMax} records, at {@code batchBytesMax} bytes, or
 * when its oldest request has waited {@code lingerMs}. The queue holds at most {@code queueRecordsMax}
 * requests; past that, {@link #offer} refuses, and the caller answers 503 instead of queueing more.
 *
 * <p>Pure and single-threaded: time is a parameter, so tests drive it with a fake clock.
 */
public final class GroupCommitBatcher<T> {

    /** The bounds of one batcher. */
    public record Limits(int batchRecordsMax, int batchBytesMax, long lingerMs, int queueRecordsMax) {
        public Limits {
            Check.argument(batchRecordsMax > 0, "batchRecordsMax must be positive, got %d", batchRecordsMax);
            Check.argument(batchBytesMax > 0, "batchBytesMax must be positive, got %d", batchBytesMax);
            Check.argument(lingerMs >= 0, "lingerMs must not be negative, got %d", lingerMs);
            Check.argument(
                    queueRecordsMax >= batchRecordsMax,
                    "queueRecordsMax (%d) must hold at least one full batch (%d)",
                    queueRecordsMax,
                    batchRecordsMax);
        }
    }

    private record Entry<T>(T item, int sizeBytes, long enqueuedAtMs) {}

    private final Limits limits;
    private final ArrayDeque<Entry<T>> queue = new ArrayDeque<>();
    private long queuedBytes;

    public GroupCommitBatcher(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Queues one request, or returns false when the queue is full (the caller sheds it). */
    public boolean offer(T item, int sizeBytes, long nowMs) {
        Check.argument(sizeBytes > 0, "sizeBytes must be positive, got %d", sizeBytes);
        Check.argument(
                sizeBytes <= limits.batchBytesMax(),
                "a request of %d bytes can never fit a batch of %d bytes",
                sizeBytes,
                limits.batchBytesMax());
        if (queue.size() >= limits.queueRecordsMax()) {
            return false;
        }
        queue.addLast(new Entry<>(item, sizeBytes, nowMs));
        queuedBytes += sizeBytes;
        return true;
    }

    /** True when a batch should be flushed now: full by count or bytes, or its linger expired. */
    public boolean needsDrain(long nowMs) {
        if (queue.isEmpty()) {
            return false;
        }
        return queue.size() >= limits.batchRecordsMax()
                || queuedBytes >= limits.batchBytesMax()
                || nowMs - queue.peekFirst().enqueuedAtMs() >= limits.lingerMs();
    }

    /** When the oldest queued request's linger runs out, or {@link Long#MAX_VALUE} if none is queued. */
    public long nextDeadlineMs() {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peekFirst().enqueuedAtMs() + limits.lingerMs();
    }

    /**
     * Takes the next batch from the head of the queue: at most {@code batchRecordsMax} requests and at
     * most {@code batchBytesMax} bytes, and never empty when something is queued.
     */
    public List<T> drain() {
        List<T> batch = new ArrayList<>(Math.min(queue.size(), limits.batchRecordsMax()));
        long bytes = 0;
        while (!queue.isEmpty() && batch.size() < limits.batchRecordsMax()) {
            Entry<T> next = queue.peekFirst();
            if (!batch.isEmpty() && bytes + next.sizeBytes() > limits.batchBytesMax()) {
                break;
            }
            queue.pollFirst();
            queuedBytes -= next.sizeBytes();
            bytes += next.sizeBytes();
            batch.add(next.item());
        }
        Check.state(queuedBytes >= 0, "queued bytes went negative: %d", queuedBytes);
        return batch;
    }

    public int queuedRecords() {
        return queue.size();
    }

    public long queuedBytes() {
        return queuedBytes;
    }
}
