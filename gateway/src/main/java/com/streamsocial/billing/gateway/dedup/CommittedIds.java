package com.streamsocial.billing.gateway.dedup;

import com.streamsocial.billing.events.Check;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The payments of one gateway process that Kafka committed while PostgreSQL may still read them as
 * {@code reserved}: their accepted mark is not yet written, or it was written after a statement that
 * reads them took its snapshot. A reservation read by such a statement is accepted, so a retry is a
 * replay whichever lane it reaches. Shared by the lanes (their own event loops), hence synchronized.
 *
 * <p>Statements are numbered by the marks committed before they were sent: a mark committed at
 * version {@code v} is visible to a statement sent at version {@code >= v}. A marked id is kept while a
 * statement sent before its mark is still running, and no longer.
 */
public final class CommittedIds {
    private final int unmarkedMax;
    private final Set<String> unmarked = new HashSet<>();
    /** Marked ids, by the version of their mark, while an older statement may still read them. */
    private final Map<String, Long> recentlyMarked = new HashMap<>();
    /** Statements in flight: their start version, counted. */
    private final TreeMap<Long, Integer> running = new TreeMap<>();

    private long version;

    /** {@code unmarkedMax}: past it, {@link #full()} asks the lanes to shed new requests. */
    public CommittedIds(int unmarkedMax) {
        Check.argument(unmarkedMax > 0, "unmarkedMax must be positive, got %d", unmarkedMax);
        this.unmarkedMax = unmarkedMax;
    }

    /** Ids just committed to Kafka, before their clients are answered. */
    public synchronized void committed(Collection<String> ids) {
        unmarked.addAll(ids);
    }

    /** Their accepted mark committed in PostgreSQL. */
    public synchronized void marked(Collection<String> ids) {
        version++;
        for (String id : ids) {
            if (unmarked.remove(id) && !running.isEmpty()) {
                recentlyMarked.put(id, version);
            }
        }
    }

    /** A statement that reads reservations is about to be sent; returns its start version. */
    public synchronized long statementStarts() {
        running.merge(version, 1, Integer::sum);
        return version;
    }

    /** The statement sent at {@code start} has answered (or failed). */
    public synchronized void statementEnds(long start) {
        Integer n = running.get(start);
        Check.state(n != null, "no statement running since version %d", start);
        if (n == 1) {
            running.remove(start);
        } else {
            running.put(start, n - 1);
        }
        long oldest = running.isEmpty() ? Long.MAX_VALUE : running.firstKey();
        // A mark at version v is visible to every statement started at v or later.
        recentlyMarked.values().removeIf(v -> v <= oldest);
    }

    /** Whether a statement sent at {@code start} that read {@code id} as reserved read a committed payment. */
    public synchronized boolean committedBefore(String id, long start) {
        if (unmarked.contains(id)) {
            return true;
        }
        Long markedAt = recentlyMarked.get(id);
        return markedAt != null && markedAt > start;
    }

    /** Too many committed ids wait for their mark: PostgreSQL is failing; take no new request. */
    public synchronized boolean full() {
        return unmarked.size() >= unmarkedMax;
    }

    public synchronized int unmarkedCount() {
        return unmarked.size();
    }

    public synchronized int recentlyMarkedCount() {
        return recentlyMarked.size();
    }
}
