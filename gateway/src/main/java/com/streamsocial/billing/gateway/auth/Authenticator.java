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
 * never logged or kept; only its hash is. Concurrent lookups of one key share one query. Everything
 * but a tenant's key (cached, or expired and refreshed) is charged to the client's {@link Budget} first, so a client out of it
 * costs a format check and at most one hash, never a lookup. One per event loop, like its cache (not
 * thread-safe).
 */
public final class Authenticator {
    /** The outcome: a tenant, or why not (never which part of a key was wrong). */
    public record Outcome(String tenant, Refusal refusal, int retryAfterS) {
        static Outcome of(String tenant) {
            return tenant == null ? new Outcome(null, Refusal.INVALID, 0) : new Outcome(tenant, null, 0);
        }
    }

    public enum Refusal {
        MISSING,
        INVALID,
        /** The client is out of its budget of refusals and lookups; retry after {@code retryAfterS}. */
        THROTTLED
    }

    /**
     * A client's budget for what may end in a 401: a missing or malformed key, a key cached as
     * refused, a lookup. Answers 0 when spent, else the seconds until it may try again (at least 1).
     */
    @FunctionalInterface
    public interface Budget {
        int spendOrRetryAfterS();
    }

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
     * Completes at once on a cache hit, a malformed header or a spent budget, so the caller can tell
     * whether it must pause the request. Fails only when PostgreSQL cannot be asked.
     */
    public Future<Outcome> authenticate(String authorization, Budget budget) {
        if (authorization == null) {
            return charged(budget, new Outcome(null, Refusal.MISSING, 0));
        }
        String key = ApiKeys.bearer(authorization);
        if (key == null) {
            return charged(budget, Outcome.of(null));
        }
        byte[] hash = ApiKeys.hash(key);
        ApiKeyCache.Entry hit = cache.get(hash, clockMs.getAsLong());
        if (hit != null) {
            return hit.refused() ? charged(budget, Outcome.of(null)) : Future.succeededFuture(Outcome.of(hit.tenant()));
        }
        // One lookup per key at a time: a burst of requests with a key not yet cached waits for the
        // same answer instead of queueing one lookup each.
        String hashKey = HEX.formatHex(hash);
        Future<Outcome> pending = inFlight.get(hashKey);
        if (pending != null) {
            return pending;
        }
        // A tenant's key whose entry expired is refreshed without charging the address (ApiKeyCache#wasAccepted).
        int retryAfterS = cache.wasAccepted(hash) ? 0 : budget.spendOrRetryAfterS();
        if (retryAfterS > 0) {
            return Future.succeededFuture(new Outcome(null, Refusal.THROTTLED, retryAfterS));
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

    private static Future<Outcome> charged(Budget budget, Outcome refused) {
        int retryAfterS = budget.spendOrRetryAfterS();
        return Future.succeededFuture(retryAfterS > 0 ? new Outcome(null, Refusal.THROTTLED, retryAfterS) : refused);
    }
}
