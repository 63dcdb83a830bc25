package com.streamsocial.billing.gateway.auth;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the gateway last learned about a key hash: its tenant, or that it is refused (unknown or
 * revoked). Entries expire after {@code ttlMs}, which is what bounds how long a revoked key keeps
 * working; at most {@code entriesMax} are kept, least recently used dropped first. Pure: time is a
 * parameter. Not thread-safe: one per event loop.
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
    private final int entriesMax;
    private final LinkedHashMap<String, Entry> entries;

    public ApiKeyCache(long ttlMs, int entriesMax) {
        if (ttlMs < 0 || ttlMs > TTL_MS_MAX) {
            throw new IllegalArgumentException("auth.cacheTtlMs must be 0.." + TTL_MS_MAX + ", got " + ttlMs);
        }
        if (entriesMax < 1) {
            throw new IllegalArgumentException("auth.cacheEntriesMax must be at least 1, got " + entriesMax);
        }
        this.ttlMs = ttlMs;
        this.entriesMax = entriesMax;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > ApiKeyCache.this.entriesMax;
            }
        };
    }

    /** The fresh entry for this hash, or null if there is none or it has expired. */
    public Entry get(byte[] keyHash, long nowMs) {
        String k = HEX.formatHex(keyHash);
        Entry e = entries.get(k);
        if (e == null) {
            return null;
        }
        // A clock that went backwards also expires the entry: never trust an answer of unknown age.
        if (nowMs - e.fetchedAtMs() >= ttlMs || nowMs < e.fetchedAtMs()) {
            entries.remove(k);
            return null;
        }
        return e;
    }

    public void put(byte[] keyHash, String tenantOrNull, long nowMs) {
        entries.put(HEX.formatHex(keyHash), new Entry(tenantOrNull, nowMs));
    }

    public int size() {
        return entries.size();
    }
}
