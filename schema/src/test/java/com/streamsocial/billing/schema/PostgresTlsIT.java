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
 * CA fails, so the chain is checked and nothing falls back to trusting any certificate.
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
        pg = EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", dir.resolve("server.pem").toString())
                .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        vertx = Vertx.vertx();
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
