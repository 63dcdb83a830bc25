package com.streamsocial.billing.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VerifiedTransmissionsTest {
    private static final byte[] F = {1, 2, 3};

    @Test
    void aVerifiedTransmissionIsKnownWithItsFingerprintOnlyAndUntilItsTtl() {
        VerifiedTransmissions cache = new VerifiedTransmissions(1_000, 10);
        assertThat(cache.verified("tx", F, 0)).isFalse();
        cache.put("tx", F, 0);
        assertThat(cache.verified("tx", F, 999)).isTrue();
        assertThat(cache.verified("tx", new byte[] {1, 2, 4}, 999))
                .as("another delivery under its id")
                .isFalse();
        assertThat(cache.verified("other", F, 999)).isFalse();
        assertThat(cache.verified("tx", F, 1_000)).as("expired").isFalse();
        assertThat(cache.size()).as("an expired entry is dropped").isZero();
    }

    @Test
    void itHoldsAtMostEntriesMaxDroppingTheLeastRecentlyUsed() {
        VerifiedTransmissions cache = new VerifiedTransmissions(60_000, 3);
        for (int i = 0; i < 3; i++) {
            cache.put("tx" + i, F, 0);
        }
        assertThat(cache.verified("tx0", F, 1)).isTrue();
        cache.put("tx3", F, 1);
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.verified("tx1", F, 2)).as("the least recently used").isFalse();
        assertThat(cache.verified("tx0", F, 2)).isTrue();
        assertThat(cache.verified("tx3", F, 2)).isTrue();
    }
}
