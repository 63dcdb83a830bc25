package com.streamsocial.billing.schema;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the SQL files {@code V<n>__<what>.sql} found under {@code db/migration/} on the class path,
 * in version order, once each, with Flyway over the PostgreSQL JDBC driver (used for migrations only),
 * recorded in {@code flyway_schema_history}. A new migration is a new file in that folder; no list
 * names them. Flyway's PostgreSQL advisory lock makes concurrent starts safe: one migrates, the others
 * wait and find nothing left to do. A database made by the earlier hand-written runner (file names in
 * {@code schema_migrations}) is adopted: Flyway baselines at the highest version that runner applied
 * and applies only what follows.
 */
public final class Migrations {
    /** Where the migrations live, in any jar on the class path. */
    public static final String LOCATION = "classpath:db/migration";

    /** The earlier runner's history table: one row per applied file name, e.g. {@code V1__pipeline.sql}. */
    static final String LEGACY_TABLE = "schema_migrations";

    /** Flyway's history table (its default name, stated so that the adoption check names the same). */
    public static final String HISTORY_TABLE = "flyway_schema_history";

    /**
     * The earlier runner's advisory lock (it took it transaction-scoped). Held here, session-scoped,
     * while the legacy history is read and Flyway runs, so that an old binary starting during a rolling
     * deploy cannot apply a file between the two.
     */
    static final long LEGACY_LOCK_KEY = 0x6269_6c6c_696eL;

    /** How long a start waits for another instance's migration, at most (Flyway retries once a second). */
    static final int LOCK_WAIT_S_MAX = 120;

    /** How long one migration run may hold its named worker thread before Vert.x warns. */
    private static final long WORKER_EXECUTE_S_MAX = 300;

    private static final Pattern LEGACY_FILE = Pattern.compile("V(\\d+)__.*\\.sql");
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);

    /**
     * What a run did. {@code adoptedFromLegacy} names the version the earlier runner's history was
     * baselined at, or is null.
     */
    public record Result(String fromVersion, String toVersion, int applied, String adoptedFromLegacy) {}

    private Migrations() {}

    /** Migrates on a named worker thread ({@code schema-migrations}), never on the event loop. */
    public static Future<Result> apply(Vertx vertx, String pgUri) {
        return apply(vertx, pgUri, null);
    }

    /**
     * As {@link #apply(Vertx, String)}, with {@code password} (read from the environment or a file,
     * never from the URI) instead of the URI's, unless it is null.
     */
    public static Future<Result> apply(Vertx vertx, String pgUri, String password) {
        WorkerExecutor worker =
                vertx.createSharedWorkerExecutor("schema-migrations", 1, WORKER_EXECUTE_S_MAX, TimeUnit.SECONDS);
        return worker.executeBlocking(() -> migrate(pgUri, password, Migrations.class.getClassLoader()), false)
                .eventually(worker::close);
    }

    /** Blocking: for the {@code migrate} command and for worker threads. */
    public static Result migrate(String pgUri) throws SQLException {
        return migrate(pgUri, null, Migrations.class.getClassLoader());
    }

    /** Blocking, as {@link #migrate(String)}, with {@code password} instead of the URI's unless null. */
    public static Result migrate(String pgUri, String password) throws SQLException {
        return migrate(pgUri, password, Migrations.class.getClassLoader());
    }

    /** With the migrations {@code classLoader} finds under {@code db/migration/} (tests add a folder). */
    static Result migrate(String pgUri, ClassLoader classLoader) throws SQLException {
        return migrate(pgUri, null, classLoader);
    }

    private static Result migrate(String pgUri, String passwordOverride, ClassLoader classLoader) throws SQLException {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("schema migrations block: run them with apply(), not on an event loop");
        }
        Jdbc jdbc = Jdbc.of(pgUri);
        String password = passwordOverride != null ? passwordOverride : jdbc.password();
        java.util.Properties props = jdbc.properties();
        if (password != null) {
            props.setProperty("password", password);
        }
        try (Connection conn = DriverManager.getConnection(jdbc.url(), props)) {
            try (Statement st = conn.createStatement()) {
                st.execute("SET lock_timeout = '" + LOCK_WAIT_S_MAX + "s'");
                st.execute("SELECT pg_advisory_lock(" + LEGACY_LOCK_KEY + ")");
            }
            try {
                String legacy = legacyVersion(conn);
                boolean adopting = legacy != null && !exists(conn, HISTORY_TABLE);
                MigrateResult r = Flyway.configure(classLoader)
                        .dataSource(jdbc.url(), jdbc.user(), password)
                        .locations(LOCATION)
                        .table(HISTORY_TABLE)
                        .failOnMissingLocations(true)
                        .validateMigrationNaming(true)
                        .cleanDisabled(true)
                        .lockRetryCount(LOCK_WAIT_S_MAX)
                        // Baselining happens only on a database without Flyway's history: at the
                        // earlier runner's last version, or at 0 (nothing applied) on a database that
                        // holds other objects already.
                        .baselineOnMigrate(true)
                        .baselineVersion(legacy == null ? "0" : legacy)
                        .baselineDescription(legacy == null ? "<< Flyway Baseline >>" : "adopted from " + LEGACY_TABLE)
                        .load()
                        .migrate();
                Result result = new Result(
                        r.initialSchemaVersion, r.targetSchemaVersion, r.migrationsExecuted, adopting ? legacy : null);
                if (adopting) {
                    // Kept, not dropped: a rollback to the earlier binary still finds what it applied.
                    log.info("adopted {} at version {}; Flyway records migrations from here on", LEGACY_TABLE, legacy);
                }
                log.info(
                        "schema at version {} (was {}), {} migrations applied",
                        result.toVersion() == null ? result.fromVersion() : result.toVersion(),
                        result.fromVersion(),
                        result.applied());
                return result;
            } finally {
                try (Statement st = conn.createStatement()) {
                    st.execute("SELECT pg_advisory_unlock(" + LEGACY_LOCK_KEY + ")");
                }
            }
        }
    }

    /** The highest version the earlier runner recorded, or null when it never ran here. */
    static String legacyVersion(Connection conn) throws SQLException {
        if (!exists(conn, LEGACY_TABLE)) {
            return null;
        }
        try (Statement st = conn.createStatement()) {
            Integer max = null;
            try (ResultSet rows = st.executeQuery("SELECT version FROM " + LEGACY_TABLE)) {
                while (rows.next()) {
                    Matcher m = LEGACY_FILE.matcher(rows.getString(1));
                    if (!m.matches()) {
                        throw new IllegalStateException(
                                LEGACY_TABLE + " holds '" + rows.getString(1) + "', not a migration file name");
                    }
                    max = Math.max(max == null ? 0 : max, Integer.parseInt(m.group(1)));
                }
            }
            return max == null ? null : String.valueOf(max);
        }
    }

    private static boolean exists(Connection conn, String table) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * The JDBC form of the services' libpq-style {@code pg.uri}, TLS included: {@code sslmode}, and for
     * verify-ca and verify-full the CA of {@code sslrootcert}, or the JVM's trust store without one (as
     * {@link com.streamsocial.billing.config.PgUri} for the Vert.x client; pgjdbc's own default would
     * be {@code ~/.postgresql/root.crt}), and the client certificate of {@code sslcert} and {@code
     * sslkey}.
     */
    record Jdbc(String url, String user, String password) {
        static Jdbc of(String pgUri) {
            String caFile = com.streamsocial.billing.config.PgUri.rootCert(pgUri);
            PgConnectOptions o = com.streamsocial.billing.config.PgUri.connectOptions(pgUri);
            String host = o.getHost().contains(":") ? "[" + o.getHost() + "]" : o.getHost();
            StringBuilder url = new StringBuilder("jdbc:postgresql://")
                    .append(host)
                    .append(':')
                    .append(o.getPort())
                    .append('/')
                    .append(o.getDatabase())
                    .append("?ApplicationName=billing-migrations");
            if (o.getSslMode() != null && o.getSslMode() != SslMode.DISABLE) {
                url.append("&sslmode=").append(o.getSslMode().value);
            }
            if (caFile != null) {
                url.append("&sslrootcert=").append(encoded(caFile));
                // Checked by PgUri above: both or neither, the key unencrypted PKCS#8 PEM, which
                // pgjdbc's LibPQFactory reads (PEMKeyManager, or Pk8OrPemKeyManager by its content).
                String cert = com.streamsocial.billing.config.PgUri.clientCert(pgUri);
                if (cert != null) {
                    url.append("&sslcert=").append(encoded(cert));
                    url.append("&sslkey=").append(encoded(com.streamsocial.billing.config.PgUri.clientKey(pgUri)));
                }
            } else if (o.getSslMode() == SslMode.VERIFY_CA || o.getSslMode() == SslMode.VERIFY_FULL) {
                url.append("&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory");
            }
            return new Jdbc(url.toString(), o.getUser(), o.getPassword());
        }

        private static String encoded(String file) {
            return java.net.URLEncoder.encode(file, java.nio.charset.StandardCharsets.UTF_8);
        }

        Properties properties() {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            return p;
        }
    }
}
