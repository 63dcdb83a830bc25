package com.streamsocial.billing.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Migrations} against a real PostgreSQL: a fresh database, databases left by the earlier
 * hand-written runner (fully and partly migrated), concurrent starts, and a migration file that no
 * list names.
 */
class MigrationsIT {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres pg;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await();
        pg.close();
    }

    @Test
    void aFreshDatabaseGetsEveryMigrationOnceAndASecondRunAppliesNothing() throws Exception {
        String uri = newDatabase();
        Migrations.Result first = Migrations.migrate(uri);
        assertThat(first.applied()).isEqualTo(12);
        assertThat(first.toVersion()).isEqualTo("12");
        assertThat(first.adoptedFromLegacy()).isNull();
        assertThat(appliedVersions(uri)).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
        assertThat(columnExists(uri, "payments", "provider_intent")).isTrue();
        assertThat(columnExists(uri, "payment_intents", "owner_run")).isTrue();
        // V8: every payment id column compares bytewise (its unique indexes are the hot path's).
        assertThat(count(
                        uri,
                        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'payment_id'"
                                + " AND table_name IN ('payment_intents', 'payments', 'ledger_entries', 'refund_intents', 'refunds')"
                                + " AND collation_name = 'C'"))
                .isEqualTo(5L);
        // V10: refunds, and one ledger refund entry per refund id.
        assertThat(columnExists(uri, "ledger_entries", "refund_id")).isTrue();
        // V11: the gateway's accepted mark per lane and range of batches.
        assertThat(columnExists(uri, "payment_intents", "owner_batch")).isTrue();
        assertThat(count(uri, "SELECT count(*) FROM payment_intent_states")).isZero();
        // V12: the processor's application of provider webhooks, and disputes.
        assertThat(count(uri, "SELECT count(*) FROM webhook_applications")).isZero();
        assertThat(columnExists(uri, "refunds", "origin")).isTrue();

        Migrations.Result second = Migrations.migrate(uri);
        assertThat(second.applied()).isZero();
        assertThat(appliedVersions(uri)).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
    }

    @Test
    void itNeverBlocksAnEventLoop() throws Exception {
        String uri = newDatabase();
        // Called on an event loop, the blocking form refuses; apply() moves to the named worker.
        Promise<Throwable> refused = Promise.promise();
        vertx.runOnContext(v -> {
            try {
                Migrations.migrate(uri);
                refused.complete(null);
            } catch (Throwable e) {
                refused.complete(e);
            }
        });
        assertThat(refused.future().await())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("event loop");
        assertThat(count(uri, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
                .isZero();

        String[] thread = new String[1];
        Promise<Migrations.Result> done = Promise.promise();
        vertx.runOnContext(v -> {
            thread[0] = Thread.currentThread().getName();
            Migrations.apply(vertx, uri).onComplete(done);
        });
        assertThat(done.future().await().applied()).isEqualTo(12);
        assertThat(thread[0]).contains("eventloop");
    }

    @Test
    void aDatabaseOfTheOldRunnerIsAdoptedWithNothingReappliedOrLost() throws Exception {
        String uri = newDatabase();
        assertThat(legacy(uri, LegacyRunner.FILES)).isEqualTo(3);
        insertPayment(uri, "pay-before-flyway");

        Migrations.Result r = Migrations.migrate(uri);

        // Re-applying V1 or V3 would fail (the tables and columns exist), so success alone says a lot;
        // the history says Flyway starts after V3 (the old runner's last file) with V4 to V12 only,
        // and the data is still there.
        assertThat(r.applied()).isEqualTo(9);
        assertThat(r.adoptedFromLegacy()).isEqualTo("3");
        assertThat(r.toVersion()).isEqualTo("12");
        assertThat(historyRows(uri))
                .containsExactly(
                        "3:BASELINE:adopted from schema_migrations",
                        "4:SQL:api keys",
                        "5:SQL:payments in flight index",
                        "6:SQL:owners",
                        "7:SQL:payments key on payment id",
                        "8:SQL:payment id collate c",
                        "9:SQL:webhook events",
                        "10:SQL:refunds",
                        "11:SQL:lane commits",
                        "12:SQL:webhook applications");
        assertThat(count(uri, "SELECT count(*) FROM payments WHERE payment_id = 'pay-before-flyway'"))
                .isEqualTo(1);
        assertThat(count(uri, "SELECT count(*) FROM schema_migrations")).isEqualTo(3);

        // And later starts neither adopt again nor apply anything.
        Migrations.Result again = Migrations.migrate(uri);
        assertThat(again.applied()).isZero();
        assertThat(again.adoptedFromLegacy()).isNull();
        assertThat(historyRows(uri)).hasSize(10);
    }

    @Test
    void aDatabaseTheOldRunnerLeftAtV2GetsV3AndLater() throws Exception {
        String uri = newDatabase();
        assertThat(legacy(uri, LegacyRunner.FILES.subList(0, 2))).isEqualTo(2);
        assertThat(columnExists(uri, "payments", "provider_intent")).isFalse();
        insertPayment(uri, "pay-at-v2");

        Migrations.Result r = Migrations.migrate(uri);

        assertThat(r.adoptedFromLegacy()).isEqualTo("2");
        assertThat(r.applied()).isEqualTo(10);
        assertThat(r.toVersion()).isEqualTo("12");
        assertThat(historyRows(uri))
                .containsExactly(
                        "2:BASELINE:adopted from schema_migrations",
                        "3:SQL:provider intent",
                        "4:SQL:api keys",
                        "5:SQL:payments in flight index",
                        "6:SQL:owners",
                        "7:SQL:payments key on payment id",
                        "8:SQL:payment id collate c",
                        "9:SQL:webhook events",
                        "10:SQL:refunds",
                        "11:SQL:lane commits",
                        "12:SQL:webhook applications");
        assertThat(columnExists(uri, "payments", "provider_intent")).isTrue();
        assertThat(count(uri, "SELECT count(*) FROM payments WHERE payment_id = 'pay-at-v2'"))
                .isEqualTo(1);
    }

    @Test
    void twoInstancesStartingAtOnceMigrateOnce() throws Exception {
        for (boolean fromLegacy : new boolean[] {false, true}) {
            String uri = newDatabase();
            if (fromLegacy) {
                legacy(uri, LegacyRunner.FILES.subList(0, 1));
            }
            ExecutorService two = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Migrations.Result>> runs = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    runs.add(two.submit(() -> {
                        go.await();
                        return Migrations.migrate(uri);
                    }));
                }
                go.countDown();
                Migrations.Result a = runs.get(0).get(3, TimeUnit.MINUTES);
                Migrations.Result b = runs.get(1).get(3, TimeUnit.MINUTES);
                int expected = fromLegacy ? 11 : 12;
                // Both succeed; one did the work and the other found it done.
                assertThat(List.of(a.applied(), b.applied())).containsExactlyInAnyOrder(expected, 0);
                assertThat(appliedVersions(uri))
                        .containsExactly(
                                fromLegacy
                                        ? new String[] {"2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
                                        : new String[] {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"});
                assertThat(count(uri, "SELECT count(*) FROM " + Migrations.HISTORY_TABLE + " WHERE type = 'BASELINE'"))
                        .isEqualTo(fromLegacy ? 1 : 0);
            } finally {
                two.shutdownNow();
            }
        }
    }

    @Test
    void aFileDroppedInTheFolderIsAppliedWithoutAnyList(@TempDir Path extra) throws Exception {
        // As another module's jar (or a new file in schema) would add it: db/migration/V99__...sql.
        Path folder = Files.createDirectories(extra.resolve("db/migration"));
        Files.writeString(folder.resolve("V99__probe.sql"), "CREATE TABLE probe_v99 (id integer PRIMARY KEY);\n");
        String uri = newDatabase();
        assertThat(Migrations.migrate(uri).toVersion()).isEqualTo("12");
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {extra.toUri().toURL()}, MigrationsIT.class.getClassLoader())) {
            Migrations.Result r = Migrations.migrate(uri, loader);
            assertThat(r.applied()).isEqualTo(1);
            assertThat(r.toVersion()).isEqualTo("99");
        }
        assertThat(count(uri, "SELECT count(*) FROM probe_v99")).isZero();
        assertThat(appliedVersions(uri))
                .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "99");
    }

    private static String newDatabase() throws Exception {
        String name = "migrations_" + DATABASES.incrementAndGet();
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return "postgresql://postgres@127.0.0.1:" + pg.getPort() + "/" + name;
    }

    /** The earlier runner's state, made by the earlier runner itself. */
    private static int legacy(String uri, List<String> files) {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(uri))
                .using(vertx)
                .build();
        try {
            return LegacyRunner.apply(pool, files).await();
        } finally {
            pool.close().await();
        }
    }

    private static void insertPayment(String uri, String paymentId) throws Exception {
        exec(
                uri,
                "INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,"
                        + " customer_id, payment_method, status, source_partition, source_offset, accepted_at)"
                        + " VALUES ('t', '" + paymentId + "', '" + paymentId
                        + "', 'h', 100, 'EUR', 'c', 'pm', 'claimed', 0, 0, now())");
    }

    private static List<String> appliedVersions(String uri) throws Exception {
        return strings(
                uri,
                "SELECT version FROM " + Migrations.HISTORY_TABLE
                        + " WHERE type = 'SQL' AND success ORDER BY installed_rank");
    }

    private static List<String> historyRows(String uri) throws Exception {
        return strings(
                uri,
                "SELECT version || ':' || type || ':' || description FROM " + Migrations.HISTORY_TABLE
                        + " ORDER BY installed_rank");
    }

    private static boolean columnExists(String uri, String table, String column) throws Exception {
        return count(
                        uri,
                        "SELECT count(*) FROM information_schema.columns WHERE table_name = '" + table
                                + "' AND column_name = '" + column + "'")
                == 1;
    }

    private static long count(String uri, String sql) throws Exception {
        try (Connection c = connect(uri);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> strings(String uri, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(uri);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void exec(String uri, String sql) throws Exception {
        try (Connection c = connect(uri);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static Connection connect(String uri) throws Exception {
        Migrations.Jdbc jdbc = Migrations.Jdbc.of(uri);
        return DriverManager.getConnection(jdbc.url(), jdbc.properties());
    }
}
