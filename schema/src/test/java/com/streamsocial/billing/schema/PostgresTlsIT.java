package com.streamsocial.billing.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.PgUri;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6, TLS to PostgreSQL: a real server with {@code ssl=on} and a certificate signed by a
 * private CA made here (openssl). {@code sslmode=verify-full} with {@code sslrootcert} naming that CA
 * connects over TLS, for the services' Vert.x client and the migrations' JDBC alike; naming another
 * CA fails, so the chain is checked and nothing falls back to trusting any certificate. Where the
 * server requires a client certificate ({@code hostssl ... cert}), {@code sslcert} and {@code sslkey}
 * of the private CA log in, for both clients; none, one of another CA, or one naming another user is
 * refused.
 */
class PostgresTlsIT {
    private static Path dir;
    private static EmbeddedPostgres pg;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pg-tls-");
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=billing test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem");
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=another CA",
                "-keyout",
                "other.key",
                "-out",
                "other.pem");
        openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "server.key",
                "-out",
                "server.csr");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem");
        // PostgreSQL refuses a private key that group or others may read.
        Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
        clientCertificate("client", "billing", "ca");
        clientCertificate("stranger", "billing", "other");
        clientCertificate("mallory", "mallory", "ca");
        // The user billing logs in with a client certificate of the private CA, over TLS only; the
        // others (the superuser, who sets billing up) as before.
        Files.writeString(dir.resolve("pg_hba.conf"), """
                hostssl all billing 127.0.0.1/32 cert
                host all billing all reject
                host all all 127.0.0.1/32 trust
                host all all ::1/128 trust
                local all all trust
                """);
        pg = EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", dir.resolve("server.pem").toString())
                .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                .setServerConfig("ssl_ca_file", dir.resolve("ca.pem").toString())
                .setServerConfig("hba_file", dir.resolve("pg_hba.conf").toString())
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        try (java.sql.Connection c = pg.getPostgresDatabase().getConnection();
                java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE ROLE billing LOGIN");
            st.execute("CREATE DATABASE billing OWNER billing");
        }
        vertx = Vertx.vertx();
    }

    /**
     * {@code <name>.pem} and its owner-only PKCS#8 key {@code <name>.key}: a client certificate for
     * the user {@code user} (its common name), signed by the CA {@code ca}.
     */
    private static void clientCertificate(String name, String user, String ca) throws Exception {
        openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=" + user,
                "-keyout",
                name + ".key",
                "-out",
                name + ".csr");
        openssl(
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                ca + ".pem",
                "-CAkey",
                ca + ".key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                name + ".pem");
        Files.setPosixFilePermissions(dir.resolve(name + ".key"), PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static String uri(String query) {
        return "postgresql://postgres@127.0.0.1:" + pg.getPort() + "/postgres?" + query;
    }

    /** Whether the connection {@code uri} opens is encrypted, as the server sees it. */
    private static boolean sslOfOneConnection(String uri) throws Exception {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgUri.connectOptions(uri).setReconnectAttempts(0))
                .using(vertx)
                .build();
        try {
            return pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .execute()
                    .await(30, TimeUnit.SECONDS)
                    .iterator()
                    .next()
                    .getBoolean(0);
        } finally {
            pool.close().await();
        }
    }

    @Test
    void verifyFullWithThePrivateCaConnectsOverTls() throws Exception {
        assertThat(sslOfOneConnection(uri("sslmode=verify-full&sslrootcert=" + dir.resolve("ca.pem"))))
                .isTrue();
        // The same server without TLS: the check above tells the two apart.
        assertThat(sslOfOneConnection(uri("sslmode=disable"))).isFalse();
    }

    @Test
    void verifyFullWithAnotherCaIsRefused() {
        assertThatThrownBy(() -> sslOfOneConnection(uri("sslmode=verify-full&sslrootcert=" + dir.resolve("other.pem"))))
                .hasStackTraceContaining("SSL");
        assertThatThrownBy(() -> sslOfOneConnection(uri("sslmode=verify-ca&sslrootcert=" + dir.resolve("other.pem"))))
                .hasStackTraceContaining("SSL");
    }

    @Test
    void theMigrationsJdbcConnectionVerifiesTheSameWay() throws Exception {
        Migrations.Result r = Migrations.migrate(uri("sslmode=verify-full&sslrootcert=" + dir.resolve("ca.pem")));
        assertThat(r.toVersion()).isNotNull();
        assertThatThrownBy(() -> Migrations.migrate(uri("sslmode=verify-full&sslrootcert=" + dir.resolve("other.pem"))))
                .hasStackTraceContaining("SSL");
    }

    /** billing's URI: verify-full against the private CA, with the client certificate {@code name}, if any. */
    private static String billing(String name) {
        String ca = "sslmode=verify-full&sslrootcert=" + dir.resolve("ca.pem");
        String cert =
                name == null ? "" : "&sslcert=" + dir.resolve(name + ".pem") + "&sslkey=" + dir.resolve(name + ".key");
        return "postgresql://billing@127.0.0.1:" + pg.getPort() + "/billing?" + ca + cert;
    }

    /** The client certificate's subject, as the server saw it on the connection {@code uri} opens. */
    private static String clientDnOfOneConnection(String uri) throws Exception {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgUri.connectOptions(uri).setReconnectAttempts(0))
                .using(vertx)
                .build();
        try {
            return pool.query("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .execute()
                    .await(30, TimeUnit.SECONDS)
                    .iterator()
                    .next()
                    .getString(0);
        } finally {
            pool.close().await();
        }
    }

    @Test
    void whereTheServerRequiresAClientCertificateThePrivateCasOneLogsIn() throws Exception {
        assertThat(clientDnOfOneConnection(billing("client"))).isEqualTo("/CN=billing");
    }

    @Test
    void withoutAClientCertificateOrWithAnotherCasOrAnotherUsersTheServerRefuses() {
        // The server asks for a certificate of its CA; the client has none to offer, or one of
        // another CA, which it therefore does not offer.
        assertThatThrownBy(() -> clientDnOfOneConnection(billing(null)))
                .hasStackTraceContaining("requires a valid client certificate");
        assertThatThrownBy(() -> clientDnOfOneConnection(billing("stranger")))
                .hasStackTraceContaining("requires a valid client certificate");
        // The right CA, but another user's name.
        assertThatThrownBy(() -> clientDnOfOneConnection(billing("mallory")))
                .hasStackTraceContaining("certificate authentication failed for user \"billing\"");
    }

    @Test
    void theMigrationsJdbcConnectionPresentsTheClientCertificateToo() throws Exception {
        assertThatThrownBy(() -> Migrations.migrate(billing(null)))
                .hasStackTraceContaining("requires a valid client certificate");
        assertThatThrownBy(() -> Migrations.migrate(billing("stranger")))
                .hasStackTraceContaining("requires a valid client certificate");
        Migrations.Result r = Migrations.migrate(billing("client"));
        assertThat(r.toVersion()).isNotNull();
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }
}
