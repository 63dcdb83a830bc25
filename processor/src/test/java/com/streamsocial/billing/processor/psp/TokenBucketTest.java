package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The provider's rate bound, on a simulated clock. */
class TokenBucketTest {
    private static final long MS = 1_000_000L;

    @Test
    void startsFullWithItsBurstAndNoMore() {
        TokenBucket b = new TokenBucket(100, 10, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(0)).as("take %d", i).isTrue();
        }
        assertThat(b.tryTake(0)).isFalse();
        assertThat(b.tokens(0)).isZero();
    }

    @Test
    void refillsOneTokenPerRateth() {
        TokenBucket b = new TokenBucket(100, 1, 0);
        assertThat(b.tryTake(0)).isTrue();
        // 100/s: one token every 10 ms, not a nanosecond sooner.
        assertThat(b.nanosUntilToken(0)).isEqualTo(10 * MS);
        assertThat(b.nanosUntilToken(4 * MS)).isEqualTo(6 * MS);
        assertThat(b.tryTake(10 * MS - 1)).isFalse();
        assertThat(b.nanosUntilToken(10 * MS - 1)).isEqualTo(1);
        assertThat(b.tryTake(10 * MS)).isTrue();
        assertThat(b.tryTake(10 * MS)).isFalse();
        assertThat(b.nanosUntilToken(25 * MS)).isZero();
    }

    @Test
    void takesAtMostTheRateOverTimePlusItsBurst() {
        TokenBucket b = new TokenBucket(2_000, 200, 0);
        int taken = 0;
        // Asking every 100 µs for 10 s: 100,000 asks against 2,000/s.
        for (long t = 0; t <= 10_000 * MS; t += MS / 10) {
            if (b.tryTake(t)) {
                taken++;
            }
        }
        assertThat(taken).isEqualTo(2_000 * 10 + 200);
    }

    @Test
    void holdsNoMoreThanItsBurstAfterAnyIdleTime() {
        TokenBucket b = new TokenBucket(1_000, 100, 0);
        assertThat(b.tryTake(0)).isTrue();
        assertThat(b.tokens(3_600_000 * MS)).isEqualTo(100);
        assertThat(b.tokens(Long.MAX_VALUE)).isEqualTo(100);
        TokenBucket fast = new TokenBucket(TokenBucket.RATE_PER_SEC_MAX, TokenBucket.RATE_PER_SEC_MAX, 0);
        assertThat(fast.tokens(Long.MAX_VALUE)).isEqualTo(TokenBucket.RATE_PER_SEC_MAX);
    }

    @Test
    void aClockGoingBackRefillsNothing() {
        TokenBucket b = new TokenBucket(100, 1, 50 * MS);
        assertThat(b.tryTake(50 * MS)).isTrue();
        assertThat(b.tryTake(0)).isFalse();
        assertThat(b.tryTake(55 * MS)).isFalse();
        assertThat(b.tryTake(60 * MS)).isTrue();
    }

    @Test
    void theSlowestRateIsOnePerSecond() {
        TokenBucket b = new TokenBucket(1, 1, 0);
        assertThat(b.tryTake(0)).isTrue();
        assertThat(b.nanosUntilToken(0)).isEqualTo(1_000 * MS);
        assertThat(b.tryTake(999 * MS)).isFalse();
        assertThat(b.tryTake(1_000 * MS)).isTrue();
    }

    @Test
    void refusesRatesAndBurstsOutOfBounds() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(TokenBucket.RATE_PER_SEC_MAX + 1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, TokenBucket.RATE_PER_SEC_MAX + 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
