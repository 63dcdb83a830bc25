package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;

/**
 * How hard an adapter may call its provider: between {@code concurrencyMin} and {@code inFlightMax}
 * calls in flight (adapted by {@link AdaptiveLimit}; {@code inFlightMax} is also the HTTP pool's
 * connections at most), and at most {@code rateLimitPerSec} calls started a second.
 */
public record ProviderLimits(int concurrencyMin, int inFlightMax, int rateLimitPerSec) {
    public ProviderLimits {
        Check.argument(
                concurrencyMin >= 1 && concurrencyMin <= inFlightMax,
                "provider call limits must satisfy 1 <= concurrencyMin <= inFlightMax, got %d..%d",
                concurrencyMin,
                inFlightMax);
        Check.argument(
                rateLimitPerSec >= 1 && rateLimitPerSec <= TokenBucket.RATE_PER_SEC_MAX,
                "provider rate limit must be 1..%d/s, got %d",
                TokenBucket.RATE_PER_SEC_MAX,
                rateLimitPerSec);
    }

    /**
     * Calls that may start at once, without waiting for the rate: a tenth of a second's worth, so
     * that no second sees more than 1.1 times the rate (a batch submits thousands of calls at once).
     */
    public int burstMax() {
        return Math.max(1, rateLimitPerSec / 10);
    }
}
