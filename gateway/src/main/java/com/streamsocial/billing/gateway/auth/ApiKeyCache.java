package com.streamsocial.billing.gateway.auth;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the gateway last learned about a key hash: its tenant, or that it is refused (unknown or
 * revoked). Entries expire after {@code ttlMs}, which is what bounds how long a revoked key keeps
 * working. Accepted and refused keys are kept apart, each at most its own maximum with the least
 * recently used dropped first: a flood of refused keys only ever evicts refused keys, never a
 * tenant's. Pure: time is a parameter. Not thread-safe: one per event loop.
 */
public final class ApiKeyCache {
    /** Revocation must take effect within 10 s on every gateway (issue 9). */
    public static final long TTL_MS_MAX = 10_000;

    /** A cached answer: {@code tenant} is null when the key is refused. */
    public record Entry(String tenant, long fetchedAtMs) {
        public boolean refused() {
            return tenant == null;
        }
    }

    private static final HexFormat HEX = HexFormat.of();

    private final long ttlMs;
    private final Map<String, Entry> accepted;
    private final Map<String, Entry> refused;

    public ApiKeyCache(long ttlMs, int entriesMax, int refusedEntriesMax) {
        if (ttlMs < 0 || ttlMs > TTL_MS_MAX) {
            throw new IllegalArgumentException("auth.cacheTtlMs must be 0.." + TTL_MS_MAX + ", got " + ttlMs);
        }
        if (entriesMax < 1 || refusedEntriesMax < 1) {
            throw new IllegalArgumentException(
                    "auth.cacheEntriesMax and auth.refusedCacheEntriesMax must be at least 1," + " got " + entriesMax
                            + " and " + refusedEntriesMax);
        }
        this.ttlMs = ttlMs;
        this.accepted = lru(entriesMax);
        this.refused = lru(refusedEntriesMax);
    }

    private static Map<String, Entry> lru(int entriesMax) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > entriesMax;
            }
        };
    }

    /** The fresh entry for this hash, or null if there is none or it has expired. */
    public Entry get(byte[] keyHash, long nowMs) {
        String k = HEX.formatHex(keyHash);
        Entry e = fresh(accepted, k, nowMs);
        return e != null ? e : fresh(refused, k, nowMs);
    }

    private Entry fresh(Map<String, Entry> entries, String k, long nowMs) {
        Entry e = entries.get(k);
        if (e == null) {
            return null;
        }
        // A clock that went backwards also expires the entry: never trust an answer of unknown age.
        if (nowMs - e.fetchedAtMs() >= ttlMs || nowMs < e.fetchedAtMs()) {
            // An expired tenant's key stays held (within the same maximum), only to tell its refresh
            // from a stranger's lookup (wasAccepted); it is never answered from again until refreshed.
            if (entries != accepted) {
                entries.remove(k);
            }
            return null;
        }
        return e;
    }

    /**
     * Whether this hash was a tenant's key at its last lookup, fresh or expired. Its refresh is then not
     * charged to the client address's budget of refusals: behind a NAT or a proxy, a flood of random keys
     * from the same address kept that budget spent, and a tenant's key could never be refreshed after
     * its TTL (docs/BENCHMARKS.md, 2026-12-07 04:55). Nobody can make such a hash without a valid key,
     * and the refresh is still a lookup, so a revocation is seen as before.
     */
    public boolean wasAccepted(byte[] keyHash) {
        return accepted.containsKey(HEX.formatHex(keyHash));
    }

    public void put(byte[] keyHash, String tenantOrNull, long nowMs) {
        String k = HEX.formatHex(keyHash);
        Entry e = new Entry(tenantOrNull, nowMs);
        if (tenantOrNull == null) {
            accepted.remove(k);
            refused.put(k, e);
        } else {
            refused.remove(k);
            accepted.put(k, e);
        }
    }

    /** Accepted keys held. */
    public int size() {
        return accepted.size();
    }

    /** Refused keys held. */
    public int refusedSize() {
        return refused.size();
    }
}
