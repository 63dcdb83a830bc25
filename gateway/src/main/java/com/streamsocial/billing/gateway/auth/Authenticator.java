package com.streamsocial.billing.gateway.auth;

import com.streamsocial.billing.auth.ApiKeyStore;
import com.streamsocial.billing.auth.ApiKeys;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Resolves an {@code Authorization} header to its tenant: from the {@link ApiKeyCache} when fresh,
 * else from PostgreSQL by the key's SHA-256, the stored hash compared in constant time. A key is
 * never logged or kept; only its hash is. Concurrent lookups of one key share one query. One per
 * event loop, like its cache (not thread-safe).
 */
public final class Authenticator {
    /** The outcome: a tenant, or why not (never which part of a key was wrong). */
    public record Outcome(String tenant, Refusal refusal) {
        static Outcome of(String tenant) {
            return tenant == null ? new Outcome(null, Refusal.INVALID) : new Outcome(tenant, null);
        }
    }

    public enum Refusal {
        MISSING,
        INVALID,
        /** The client's address is over its budget of refused keys, and this key is not a cached tenant's. */
        THROTTLED
    }

    private static final Outcome THROTTLED = new Outcome(null, Refusal.THROTTLED);

    private final ApiKeyStore store;
    private final ApiKeyCache cache;
    private final LongSupplier clockMs;
    /** Lookups under way, by key hash; at most as many as the lookup pool's queue admits. */
    private final Map<String, Future<Outcome>> inFlight = new HashMap<>();

    private static final HexFormat HEX = HexFormat.of();

    public Authenticator(ApiKeyStore store, ApiKeyCache cache, LongSupplier clockMs) {
        this.store = store;
        this.cache = cache;
        this.clockMs = clockMs;
    }

    /**
     * Completes at once on a cache hit or a malformed header, so the caller can tell whether it must
     * pause the request. Fails only when PostgreSQL cannot be asked.
     */
    /**
     * For a client over its budget of refused keys: only a key already cached as a tenant's passes
     * (a tenant behind the same address as a flood keeps working); anything else is {@link
     * Refusal#THROTTLED} at the cost of a format check and at most one hash, never a lookup.
     */
    public Outcome authenticateCachedOnly(String authorization) {
        String key = authorization == null ? null : ApiKeys.bearer(authorization);
        if (key == null) {
            return THROTTLED;
        }
        String tenant = cache.acceptedTenant(ApiKeys.hash(key), clockMs.getAsLong());
        return tenant == null ? THROTTLED : Outcome.of(tenant);
    }

    public Future<Outcome> authenticate(String authorization) {
        if (authorization == null) {
            return Future.succeededFuture(new Outcome(null, Refusal.MISSING));
        }
        String key = ApiKeys.bearer(authorization);
        if (key == null) {
            return Future.succeededFuture(new Outcome(null, Refusal.INVALID));
        }
        byte[] hash = ApiKeys.hash(key);
        ApiKeyCache.Entry hit = cache.get(hash, clockMs.getAsLong());
        if (hit != null) {
            return Future.succeededFuture(Outcome.of(hit.tenant()));
        }
        // One lookup per key at a time: a burst of requests with a key not yet cached waits for the
        // same answer instead of queueing one lookup each.
        String hashKey = HEX.formatHex(hash);
        Future<Outcome> pending = inFlight.get(hashKey);
        if (pending != null) {
            return pending;
        }
        Future<Outcome> lookup = store.findByHash(hash).map(found -> {
            String tenant = found.filter(f -> !f.revoked() && ApiKeys.sameHash(f.keyHash(), hash))
                    .map(ApiKeyStore.Found::tenant)
                    .orElse(null);
            cache.put(hash, tenant, clockMs.getAsLong());
            return Outcome.of(tenant);
        });
        if (!lookup.isComplete()) {
            inFlight.put(hashKey, lookup);
            lookup.onComplete(ar -> inFlight.remove(hashKey));
        }
        return lookup;
    }
}
