package com.streamsocial.billing.gateway.limit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TenantRateLimiterTest {
    private static final long S = 1_000_000_000L;

    @Test
    void allowsTheBurstThenTheRateAndSaysWhenToRetry() {
        TenantRateLimiter limiter = new TenantRateLimiter(2, 5, 100);
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.acquire("a", 0).allowed()).isTrue();
        }
        TenantRateLimiter.Decision refused = limiter.acquire("a", 0);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterS()).isEqualTo(1);
        // Half a second at 2/s is one token.
        assertThat(limiter.acquire("a", S / 2).allowed()).isTrue();
        assertThat(limiter.acquire("a", S / 2).allowed()).isFalse();
        // A long pause refills to the burst, not beyond.
        int allowed = 0;
        for (int i = 0; i < 20; i++) {
            allowed += limiter.acquire("a", 100 * S).allowed() ? 1 : 0;
        }
        assertThat(allowed).isEqualTo(5);
    }

    @Test
    void oneTenantsFloodLeavesAnotherTenantsBucketFull() {
        TenantRateLimiter limiter = new TenantRateLimiter(10, 10, 100);
        int floodAllowed = 0;
        for (int i = 0; i < 1_000; i++) {
            floodAllowed += limiter.acquire("flood", i * (S / 1_000)).allowed() ? 1 : 0;
        }
        assertThat(floodAllowed).isLessThan(30);
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.acquire("quiet", S).allowed()).isTrue();
        }
    }

    @Test
    void aSlowRateAsksForALongerWait() {
        TenantRateLimiter limiter = new TenantRateLimiter(1, 1, 100);
        assertThat(limiter.acquire("a", 0).allowed()).isTrue();
        assertThat(limiter.acquire("a", 0).retryAfterS()).isEqualTo(1);
        TenantRateLimiter slow = new TenantRateLimiter(1, 3, 100);
        slow.acquire("a", 0);
        slow.acquire("a", 0);
        slow.acquire("a", 0);
        assertThat(slow.acquire("a", S / 10).retryAfterS()).isEqualTo(1);
    }

    @Test
    void tracksABoundedNumberOfTenantsAndABackwardClockRefillsNothing() {
        TenantRateLimiter limiter = new TenantRateLimiter(1, 1, 3);
        for (int i = 0; i < 10; i++) {
            limiter.acquire("t" + i, 0);
        }
        assertThat(limiter.tenantsTracked()).isEqualTo(3);
        assertThat(limiter.acquire("t9", 5 * S).allowed()).isTrue();
        assertThat(limiter.acquire("t9", 0).allowed()).isFalse();
    }
}
