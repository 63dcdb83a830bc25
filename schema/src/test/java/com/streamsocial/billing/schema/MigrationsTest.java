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
}
