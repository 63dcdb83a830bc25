package com.streamsocial.billing.schema;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Test support: the hand-written runner that {@link Migrations} replaced, as it shipped (only the list
 * of files became a parameter), to make databases in the state it left them.
 */
final class LegacyRunner {
    static final List<String> FILES =
            List.of("V1__pipeline.sql", "V2__gateway_reservation_owner.sql", "V3__provider_intent.sql");

    /** Arbitrary, fixed: the advisory lock that serialises migrations across services. */
    private static final long LOCK_KEY = 0x6269_6c6c_696eL;

    private LegacyRunner() {}

    static Future<Integer> apply(Pool pool, List<String> files) {
        return pool.withTransaction(conn -> conn.query("SET LOCAL client_min_messages = warning")
                .execute()
                .compose(ignored -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")")
                        .execute())
                .compose(ignored -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                + "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
                        .execute())
                .compose(ignored ->
                        conn.query("SELECT version FROM schema_migrations").execute())
                .compose(rows -> {
                    Set<String> applied = new HashSet<>();
                    for (Row r : rows) {
                        applied.add(r.getString(0));
                    }
                    Future<Integer> chain = Future.succeededFuture(0);
                    for (String file : files) {
                        if (!applied.contains(file)) {
                            chain = chain.compose(n -> applyOne(conn, file).map(n + 1));
                        }
                    }
                    return chain;
                }));
    }

    private static Future<Void> applyOne(SqlConnection conn, String file) {
        return conn.query(read(file))
                .execute()
                .compose(ignored -> conn.preparedQuery("INSERT INTO schema_migrations (version) VALUES ($1)")
                        .execute(Tuple.of(file)))
                .mapEmpty();
    }

    private static String read(String file) {
        try (InputStream in = LegacyRunner.class.getResourceAsStream("/db/migration/" + file)) {
            if (in == null) {
                throw new IllegalStateException("migration " + file + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
