package com.streamsocial.billing.gateway.limit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-tenant token buckets: each tenant may send {@code ratePerS} requests a second on average and
 * {@code burst} at once. One tenant's flood empties only its own bucket, so others keep their rate.
 * At most {@code tenantsTrackedMax} buckets are kept, the least recently used dropped first (a
 * dropped tenant starts again with a full bucket). Pure: time is a parameter, in nanoseconds.
 * Thread-safe: the gateway's lanes share one. The gateway keeps a second one keyed by client
 * address, charged with each key lookup and each 401 ({@code auth.failuresPerS}).
 */
public final class TenantRateLimiter {
    /** Allowed, or refused with how long until a token is due (rounded up to whole seconds, at least 1). */
    public record Decision(boolean allowed, int retryAfterS) {
        static final Decision ALLOWED = new Decision(true, 0);
    }

    private static final class Bucket {
        double tokens;
        long refilledAtNanos;

        Bucket(double tokens, long nowNanos) {
            this.tokens = tokens;
            this.refilledAtNanos = nowNanos;
        }
    }

    private final double ratePerNano;
    private final double burst;
    private final int tenantsTrackedMax;
    private final LinkedHashMap<String, Bucket> buckets;

    public TenantRateLimiter(int ratePerS, int burst, int tenantsTrackedMax) {
        if (ratePerS < 1 || burst < 1 || tenantsTrackedMax < 1) {
            throw new IllegalArgumentException("limits.tenantRatePerS, limits.tenantBurst and limits.tenantsTrackedMax"
                    + " must be at least 1, got " + ratePerS + ", " + burst + ", " + tenantsTrackedMax);
        }
        this.ratePerNano = ratePerS / 1e9;
        this.burst = burst;
        this.tenantsTrackedMax = tenantsTrackedMax;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
                return size() > TenantRateLimiter.this.tenantsTrackedMax;
            }
        };
    }

    public synchronized Decision acquire(String tenant, long nowNanos) {
        Bucket b = buckets.get(tenant);
        if (b == null) {
            b = new Bucket(burst, nowNanos);
            buckets.put(tenant, b);
        }
        // A clock step backwards refills nothing rather than going negative.
        long elapsed = Math.max(0, nowNanos - b.refilledAtNanos);
        b.tokens = Math.min(burst, b.tokens + elapsed * ratePerNano);
        b.refilledAtNanos = Math.max(b.refilledAtNanos, nowNanos);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return Decision.ALLOWED;
        }
        double nanosToToken = (1 - b.tokens) / ratePerNano;
        return new Decision(false, (int) Math.max(1, Math.ceil(nanosToToken / 1e9)));
    }

    public synchronized int tenantsTracked() {
        return buckets.size();
    }
}
