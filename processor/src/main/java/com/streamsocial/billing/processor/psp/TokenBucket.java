package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;

/**
 * A token bucket: at most {@code ratePerSec} takes a second on average, at most {@code burstMax} at
 * once. It starts full. Pure and single-threaded: time is a parameter, no I/O, no clock.
 *
 * <p>Tokens are counted in billionths ("nano-tokens"), so that a nanosecond refills exactly {@code
 * ratePerSec} of them: integer arithmetic, no drift, whatever the rate.
 */
public final class TokenBucket {
    /** Nano-tokens in one token. */
    private static final long NANO_TOKENS = 1_000_000_000L;

    /** Upper bound of the rate and the burst: keeps every product below {@code Long.MAX_VALUE}. */
    public static final int RATE_PER_SEC_MAX = 1_000_000;

    private final long ratePerSec;
    private final long capacityNanoTokens;
    private long nanoTokens;
    private long refilledAtNanos;

    public TokenBucket(int ratePerSec, int burstMax, long nowNanos) {
        Check.argument(
                ratePerSec >= 1 && ratePerSec <= RATE_PER_SEC_MAX,
                "rate must be 1..%d/s, got %d",
                RATE_PER_SEC_MAX,
                ratePerSec);
        Check.argument(
                burstMax >= 1 && burstMax <= RATE_PER_SEC_MAX,
                "burst must be 1..%d, got %d",
                RATE_PER_SEC_MAX,
                burstMax);
        this.ratePerSec = ratePerSec;
        this.capacityNanoTokens = burstMax * NANO_TOKENS;
        this.nanoTokens = capacityNanoTokens;
        this.refilledAtNanos = nowNanos;
    }

    /** Takes a token if there is one now. */
    public boolean tryTake(long nowNanos) {
        refill(nowNanos);
        if (nanoTokens < NANO_TOKENS) {
            return false;
        }
        nanoTokens -= NANO_TOKENS;
        return true;
    }

    /** How long until a token is there: 0 if one is now. */
    public long nanosUntilToken(long nowNanos) {
        refill(nowNanos);
        long missing = NANO_TOKENS - nanoTokens;
        return missing <= 0 ? 0 : (missing + ratePerSec - 1) / ratePerSec;
    }

    /** Whole tokens there now. */
    public long tokens(long nowNanos) {
        refill(nowNanos);
        return nanoTokens / NANO_TOKENS;
    }

    private void refill(long nowNanos) {
        // A clock that goes back refills nothing until it passes the latest refill again.
        if (nowNanos <= refilledAtNanos) {
            return;
        }
        // Past the time to fill the bucket, more time adds nothing: bounds the product.
        long elapsedNanos = Math.min(nowNanos - refilledAtNanos, capacityNanoTokens / ratePerSec + 1);
        nanoTokens = Math.min(capacityNanoTokens, nanoTokens + elapsedNanos * ratePerSec);
        refilledAtNanos = nowNanos;
    }
}
