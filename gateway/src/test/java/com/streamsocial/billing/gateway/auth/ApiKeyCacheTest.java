package com.streamsocial.billing.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The key cache's TTL and its 10 s cap, on a fake clock (the cache takes the time as a parameter). */
class ApiKeyCacheTest {
    private static final byte[] HASH = {1, 2, 3};

    @Test
    void atTheCapARevokedKeysEntryLivesJustUnderTenSeconds() {
        ApiKeyCache cache = new ApiKeyCache(10_000, 10, 10);
        long fetchedAtMs = 1_000_000;
        cache.put(HASH, "tenant-a", fetchedAtMs);
        assertThat(cache.get(HASH, fetchedAtMs + 9_999))
                .isNotNull()
                .extracting(ApiKeyCache.Entry::tenant)
                .isEqualTo("tenant-a");
        // 10 s after the fetch the entry is gone: the next request asks PostgreSQL, and sees a revocation.
        assertThat(cache.get(HASH, fetchedAtMs + 10_000)).isNull();
    }

    @Test
    void aTtlAboveTenSecondsIsRefused() {
        assertThat(ApiKeyCache.TTL_MS_MAX).isEqualTo(10_000);
        assertThatThrownBy(() -> new ApiKeyCache(10_001, 10, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auth.cacheTtlMs must be 0..10000, got 10001");
    }

    @Test
    void aClockThatWentBackwardsExpiresTheEntry() {
        ApiKeyCache cache = new ApiKeyCache(10_000, 10, 10);
        cache.put(HASH, null, 5_000);
        assertThat(cache.get(HASH, 5_000)).isNotNull().matches(ApiKeyCache.Entry::refused);
        assertThat(cache.get(HASH, 4_999)).isNull();
    }

    @Test
    void aFloodOfRefusedKeysNeverEvictsAnAcceptedOne() {
        ApiKeyCache cache = new ApiKeyCache(10_000, 2, 100);
        cache.put(HASH, "tenant-a", 1_000);
        for (int i = 0; i < 10_000; i++) {
            cache.put(new byte[] {9, (byte) i, (byte) (i >> 8)}, null, 1_000);
        }
        assertThat(cache.get(HASH, 1_001))
                .isNotNull()
                .extracting(ApiKeyCache.Entry::tenant)
                .isEqualTo("tenant-a");
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.refusedSize()).isEqualTo(100);
    }

    @Test
    void aKeyAcceptedAfterItWasRefusedLeavesTheRefusedCache() {
        ApiKeyCache cache = new ApiKeyCache(10_000, 10, 10);
        cache.put(HASH, null, 1_000);
        assertThat(cache.get(HASH, 1_001)).isNotNull().matches(ApiKeyCache.Entry::refused);
        cache.put(HASH, "tenant-a", 1_000);
        assertThat(cache.get(HASH, 1_001))
                .isNotNull()
                .extracting(ApiKeyCache.Entry::tenant)
                .isEqualTo("tenant-a");
        assertThat(cache.refusedSize()).isZero();
        assertThat(cache.get(HASH, 11_000)).isNull();
    }

    @Test
    void anExpiredTenantsKeyIsNotAnsweredFromButIsKnownAsOnce() {
        ApiKeyCache cache = new ApiKeyCache(10_000, 10, 10);
        byte[] stranger = {7, 7, 7};
        cache.put(HASH, "tenant-a", 1_000);
        cache.put(stranger, null, 1_000);
        assertThat(cache.get(HASH, 11_000)).isNull();
        assertThat(cache.wasAccepted(HASH)).isTrue();
        assertThat(cache.get(stranger, 11_000)).isNull();
        assertThat(cache.wasAccepted(stranger)).isFalse();
        // A revocation seen by the refresh makes it a refused key: known as a tenant's no more.
        cache.put(HASH, null, 11_000);
        assertThat(cache.wasAccepted(HASH)).isFalse();
    }
}
