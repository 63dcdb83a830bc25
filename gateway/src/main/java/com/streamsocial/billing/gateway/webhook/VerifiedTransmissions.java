package com.streamsocial.billing.gateway.webhook;

import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PayPal transmissions already verified by PayPal's API, so that a redelivery of the very same
 * transmission is not asked again, whichever lane it reaches: bounded ({@link #ENTRIES_MAX}, least
 * recently used dropped) and expiring ({@link #TTL_MS}). A hit needs the same transmission id and the
 * same fingerprint (every signed header and the body), so no other delivery can borrow an answer.
 * One per gateway process, shared by its lanes (synchronized: a webhook's rate, not a payment's).
 */
public final class VerifiedTransmissions {
    /** Transmissions remembered per gateway process at most; beyond, the least recently used is dropped. */
    public static final int ENTRIES_MAX = 10_000;
    /** A verified transmission is trusted again without asking PayPal for this long. */
    public static final long TTL_MS = 3_600_000;

    private record Entry(byte[] fingerprint, long verifiedAtMs) {}

    private final long ttlMs;
    private final int entriesMax;
    private final Map<String, Entry> entries;

    public VerifiedTransmissions() {
        this(TTL_MS, ENTRIES_MAX);
    }

    VerifiedTransmissions(long ttlMs, int entriesMax) {
        this.ttlMs = ttlMs;
        this.entriesMax = entriesMax;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > VerifiedTransmissions.this.entriesMax;
            }
        };
    }

    /** Whether {@code transmissionId} was verified with this very fingerprint less than the TTL ago. */
    synchronized boolean verified(String transmissionId, byte[] fingerprint, long nowMs) {
        Entry e = entries.get(transmissionId);
        if (e == null) {
            return false;
        }
        if (nowMs - e.verifiedAtMs() >= ttlMs) {
            entries.remove(transmissionId);
            return false;
        }
        return MessageDigest.isEqual(e.fingerprint(), fingerprint);
    }

    synchronized void put(String transmissionId, byte[] fingerprint, long nowMs) {
        entries.put(transmissionId, new Entry(fingerprint.clone(), nowMs));
    }

    synchronized int size() {
        return entries.size();
    }
}
