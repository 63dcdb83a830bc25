package com.streamsocial.billing.gateway.limit;

import com.streamsocial.billing.config.Settings;

/**
 * Each tenant's token buckets, per gateway process: writes ({@code POST}, {@code DELETE}) and reads
 * ({@code GET}, {@code HEAD}) apart, so that polling does not spend the rate a tenant pays with.
 *
 * <p>The defaults are sized from the measured capacity (docs/BENCHMARKS.md): the gateway ingests
 * about 5,000 to 7,000 payments a second on 2 cores, and a lane's queue holds 5,000. One tenant may
 * write at half the low end of that (2,500/s) with a burst of as much, so that a second tenant at the
 * same rate still fits, and one tenant's burst fills at most half a lane's queue. Reads go to a pool
 * of 2 PostgreSQL connections with 64 waiters per lane: 1,000/s with a burst of 128, what the
 * waiters of two lanes hold. Beyond the rate, {@code 429} with {@code Retry-After}; within it, the
 * lanes' queues are still shared fairly ({@link QueueShares}).
 */
public record TenantLimits(int writesPerS, int writeBurst, int readsPerS, int readBurst, int tenantsTrackedMax) {
    public static final int WRITES_PER_S_DEFAULT = 2_500;
    public static final int WRITE_BURST_DEFAULT = 2_500;
    public static final int READS_PER_S_DEFAULT = 1_000;
    public static final int READ_BURST_DEFAULT = 128;

    public TenantLimits {
        if (writesPerS < 1 || writeBurst < 1 || readsPerS < 1 || readBurst < 1 || tenantsTrackedMax < 1) {
            throw new IllegalArgumentException(
                    "limits.tenantWritesPerS, limits.tenantWriteBurst,"
                            + " limits.tenantReadsPerS, limits.tenantReadBurst and limits.tenantsTrackedMax must be at least 1");
        }
    }

    public static TenantLimits from(Settings s) {
        for (String renamed : new String[] {"limits.tenantRatePerS", "limits.tenantBurst"}) {
            if (s.string(renamed, null) != null) {
                // Refused rather than ignored: a limit an operator set must not silently stop applying.
                throw new IllegalArgumentException(renamed + " was split into limits.tenantWritesPerS/"
                        + "limits.tenantWriteBurst and limits.tenantReadsPerS/limits.tenantReadBurst: set those");
            }
        }
        return new TenantLimits(
                s.integer("limits.tenantWritesPerS", WRITES_PER_S_DEFAULT),
                s.integer("limits.tenantWriteBurst", WRITE_BURST_DEFAULT),
                s.integer("limits.tenantReadsPerS", READS_PER_S_DEFAULT),
                s.integer("limits.tenantReadBurst", READ_BURST_DEFAULT),
                s.integer("limits.tenantsTrackedMax", 10_000));
    }

    public TenantRateLimiter writes() {
        return new TenantRateLimiter(writesPerS, writeBurst, tenantsTrackedMax);
    }

    public TenantRateLimiter reads() {
        return new TenantRateLimiter(readsPerS, readBurst, tenantsTrackedMax);
    }
}
