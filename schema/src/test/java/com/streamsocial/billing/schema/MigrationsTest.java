package com.streamsocial.billing.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The JDBC form of {@code pg.uri}: the driver does not take credentials in the URL's user part. */
class MigrationsTest {
    @Test
    void credentialsAndTlsCarryOverFromTheServicesUri() {
        Migrations.Jdbc j = Migrations.Jdbc.of("postgresql://billing:s3cret@db.internal:6543/ledger?sslmode=require");
        assertThat(j.url())
                .isEqualTo(
                        "jdbc:postgresql://db.internal:6543/ledger?ApplicationName=billing-migrations&sslmode=require");
        assertThat(j.user()).isEqualTo("billing");
        assertThat(j.password()).isEqualTo("s3cret");
        assertThat(j.properties()).containsEntry("user", "billing").containsEntry("password", "s3cret");
        assertThat(j.url()).doesNotContain("s3cret");
    }

    @Test
    void withoutPasswordOrTlsItConnectsAsTheServicesDo() {
        String uri = "postgresql://postgres@127.0.0.1:5433/postgres";
        Migrations.Jdbc j = Migrations.Jdbc.of(uri);
        assertThat(j.url()).isEqualTo("jdbc:postgresql://127.0.0.1:5433/postgres?ApplicationName=billing-migrations");
        // vertx-pg-client's defaults (and PGPASSWORD, if set) apply to both, so one pg.uri means one login.
        io.vertx.pgclient.PgConnectOptions services = io.vertx.pgclient.PgConnectOptions.fromUri(uri);
        assertThat(j.user()).isEqualTo(services.getUser());
        assertThat(j.password()).isEqualTo(services.getPassword());
    }

    @Test
    void theClientCertificateCarriesOverAsPgjdbcReadsIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path ca = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "x");
        java.nio.file.Path cert = java.nio.file.Files.writeString(dir.resolve("client cert.pem"), "x");
        java.nio.file.Path key =
                java.nio.file.Files.writeString(dir.resolve("client.key"), "-----BEGIN PRIVATE KEY-----\n");
        java.nio.file.Files.setPosixFilePermissions(
                key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Migrations.Jdbc j = Migrations.Jdbc.of("postgresql://billing@db:5432/ledger?sslmode=verify-full&sslrootcert="
                + ca + "&sslcert=" + cert.toString().replace(" ", "%20") + "&sslkey=" + key);
        String enc = java.net.URLEncoder.encode(cert.toString(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(j.url())
                .contains("&sslcert=" + enc)
                .contains("&sslkey="
                        + java.net.URLEncoder.encode(key.toString(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("&sslrootcert=");
    }
}
