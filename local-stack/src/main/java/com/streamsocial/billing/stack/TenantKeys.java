package com.streamsocial.billing.stack;

import com.streamsocial.billing.auth.ApiKeyStore;
import com.streamsocial.billing.schema.Migrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.function.Function;

/**
 * API keys for the local stack and the tests, made in their PostgreSQL (migrated first): a fresh key
 * for a tenant, or the local stack's fixed development key. Blocking: call it off the event loops.
 */
public final class TenantKeys {
    /** The local stack's development key, unless {@code PAYMENTS_DEV_API_KEY} names another. */
    public static final String DEV_KEY = "sk_test_local";
    /** The local stack's development tenant. */
    public static final String DEV_TENANT = "default";

    private TenantKeys() {}

    /** A new key for {@code tenant}; the tenant exists from its first key on. */
    public static String create(String pgUri, String tenant) {
        return withStore(pgUri, store -> store.create(tenant).map(ApiKeyStore.Created::key));
    }

    /** Revokes a key by its id. */
    public static void revoke(String pgUri, String keyId) {
        withStore(pgUri, store -> store.revoke(keyId));
    }

    /** Stores {@code key} for {@code tenant} unless it is stored already; returns its key id. */
    public static String ensure(String pgUri, String tenant, String key) {
        return withStore(pgUri, store -> store.ensure(tenant, key));
    }

    /** The development key: {@code PAYMENTS_DEV_API_KEY} if set, else {@link #DEV_KEY}. */
    public static String devKey() {
        String env = System.getenv("PAYMENTS_DEV_API_KEY");
        return env == null || env.isBlank() ? DEV_KEY : env.trim();
    }

    private static <T> T withStore(String pgUri, Function<ApiKeyStore, Future<T>> op) {
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(pgUri))
                .using(vertx)
                .build();
        try {
            return Migrations.apply(vertx, pgUri)
                    .compose(n -> op.apply(new ApiKeyStore(pool)))
                    .await();
        } finally {
            pool.close().await();
            vertx.close().await();
        }
    }
}
