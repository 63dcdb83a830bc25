package com.streamsocial.billing.auth;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code api_keys} table (migration V4): creates, lists, revokes and looks up keys by their
 * SHA-256. It never sees a key in storable form: callers hash first, and {@link #create} returns the
 * key to show once.
 */
public final class ApiKeyStore {
    /** A stored key, without the key: what {@code keys list} shows. */
    public record KeyInfo(String keyId, String tenant, OffsetDateTime createdAt, OffsetDateTime revokedAt) {}

    /** A key just created: {@code key} exists only in this value and is shown once. */
    public record Created(String keyId, String tenant, String key) {}

    /** What a lookup by hash found: the stored hash, to compare in constant time, and whether revoked. */
    public record Found(String keyId, String tenant, byte[] keyHash, boolean revoked) {}

    private static final String TENANT_RULE =
            "a tenant is 1 to 64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

    private final Pool pool;

    public ApiKeyStore(Pool pool) {
        this.pool = pool;
    }

    public Future<Created> create(String tenant) {
        return insert(tenant, ApiKeys.newKey());
    }

    /**
     * Stores a given key for a tenant unless its hash is already stored: the local stack's development
     * key. The answer is the key's id, new or existing.
     */
    public Future<String> ensure(String tenant, String key) {
        if (!ApiKeys.validTenant(tenant)) {
            return Future.failedFuture(new IllegalArgumentException(TENANT_RULE));
        }
        if (!ApiKeys.validKey(key)) {
            return Future.failedFuture(new IllegalArgumentException(
                    "a key stored as given must be " + ApiKeys.TEST_PREFIX + " and 1 to " + ApiKeys.TEST_BODY_LENGTH_MAX
                            + " letters, digits or '_' (keys create makes " + ApiKeys.LIVE_PREFIX + " keys)"));
        }
        return pool.preparedQuery("INSERT INTO api_keys (key_id, tenant, key_hash) VALUES ($1, $2, $3)"
                        + " ON CONFLICT (key_hash) DO NOTHING")
                .execute(Tuple.of(ApiKeys.newKeyId(), tenant, Buffer.buffer(ApiKeys.hash(key))))
                .compose(ignored -> pool.preparedQuery("SELECT key_id FROM api_keys WHERE key_hash = $1")
                        .execute(Tuple.of(Buffer.buffer(ApiKeys.hash(key)))))
                .map(rows -> rows.iterator().next().getString(0));
    }

    private Future<Created> insert(String tenant, String key) {
        if (!ApiKeys.validTenant(tenant)) {
            return Future.failedFuture(new IllegalArgumentException(TENANT_RULE));
        }
        String id = ApiKeys.newKeyId();
        return pool.preparedQuery("INSERT INTO api_keys (key_id, tenant, key_hash) VALUES ($1, $2, $3)")
                .execute(Tuple.of(id, tenant, Buffer.buffer(ApiKeys.hash(key))))
                .map(ignored -> new Created(id, tenant, key));
    }

    public Future<List<KeyInfo>> list() {
        return pool.query("SELECT key_id, tenant, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id")
                .execute()
                .map(rows -> {
                    List<KeyInfo> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(new KeyInfo(
                                r.getString(0), r.getString(1), r.getOffsetDateTime(2), r.getOffsetDateTime(3)));
                    }
                    return out;
                });
    }

    /** True if the key was live and is now revoked; false if no such key or already revoked. */
    public Future<Boolean> revoke(String keyId) {
        return pool.preparedQuery("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(keyId))
                .map(rows -> rows.rowCount() == 1);
    }

    public Future<Optional<Found>> findByHash(byte[] keyHash) {
        return pool.preparedQuery(
                        "SELECT key_id, tenant, key_hash, revoked_at IS NOT NULL FROM api_keys WHERE key_hash = $1")
                .execute(Tuple.of(Buffer.buffer(keyHash)))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.empty();
                    }
                    Row r = rows.iterator().next();
                    return Optional.of(new Found(
                            r.getString(0), r.getString(1), r.getBuffer(2).getBytes(), r.getBoolean(3)));
                });
    }
}
