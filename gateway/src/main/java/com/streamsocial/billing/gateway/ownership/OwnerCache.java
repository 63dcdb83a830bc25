package com.streamsocial.billing.gateway.ownership;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Owners the registry confirmed, by kind and id: at most {@code entriesMax}, least recently used
 * dropped first. An owner never changes once registered, so an entry never goes stale and needs no
 * expiry; a dropped one is only asked again in the next batch's statement. Not thread-safe: one per
 * lane, used on its event loop.
 */
public final class OwnerCache {
    private final int entriesMax;
    private final LinkedHashMap<String, String> entries;

    public OwnerCache(int entriesMax) {
        if (entriesMax < 1) {
            throw new IllegalArgumentException("entriesMax must be at least 1, got " + entriesMax);
        }
        this.entriesMax = entriesMax;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > OwnerCache.this.entriesMax;
            }
        };
    }

    /** The owning tenant, or null when this lane has not learned it. */
    public String owner(OwnedKind kind, String id) {
        return entries.get(key(kind, id));
    }

    public void put(OwnedKind kind, String id, String tenant) {
        entries.put(key(kind, id), tenant);
    }

    public int size() {
        return entries.size();
    }

    private static String key(OwnedKind kind, String id) {
        // The kind's one-letter tag cannot be confused with an id: the separator comes first.
        return kind.tag + id;
    }
}
