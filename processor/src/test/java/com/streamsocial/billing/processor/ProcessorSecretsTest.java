package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider's secret key comes from the environment or a file, never {@code -D}; endpoints bind loopback. */
class ProcessorSecretsTest {
    @Test
    void theSecretKeyComesFromTheEnvironmentOrAFile(@TempDir Path dir) throws Exception {
        // Settings.of stands for the environment (BILLING_PROVIDER_SECRETKEY).
        assertThat(ProcessorConfig.from(Settings.of(Map.of("provider.secretKey", "sk_live_env")))
                        .providerSecretKey())
                .isEqualTo("sk_live_env");
        Path file = dir.resolve("provider-key");
        Files.writeString(file, "sk_live_file\n");
        java.nio.file.Files.setPosixFilePermissions(
                file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(ProcessorConfig.from(Settings.of(Map.of("provider.secretKeyFile", file.toString())))
                        .providerSecretKey())
                .isEqualTo("sk_live_file");
    }

    @Test
    void aSecretKeyGivenWithDStopsStartUpNamingTheKeyAndTheAlternatives() {
        System.setProperty("provider.secretKey", "sk_live_on_the_process_list");
        try {
            assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(Map.of())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dprovider.secretKey")
                    .hasMessageContaining("BILLING_PROVIDER_SECRETKEY")
                    .hasMessageContaining("provider.secretKeyFile")
                    .hasMessageNotContaining("sk_live_on_the_process_list");
        } finally {
            System.clearProperty("provider.secretKey");
        }
    }

    @Test
    void theSandboxKeyIsTheDefaultOnlyForAProviderOnThisMachine() {
        assertThat(ProcessorConfig.from(Settings.of(Map.of())).providerSecretKey())
                .isEqualTo(ProcessorConfig.SANDBOX_SECRET_KEY);
        assertThatThrownBy(
                        () -> ProcessorConfig.from(Settings.of(Map.of("provider.baseUrl", "https://api.stripe.com"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.secretKey is required")
                .hasMessageContaining("BILLING_PROVIDER_SECRETKEY");
    }

    @Test
    void theKeyIsInNoToStringAndTheEndpointsBindLoopback() {
        ProcessorConfig c = ProcessorConfig.from(Settings.of(Map.of("provider.secretKey", "sk_live_hidden")));
        assertThat(c.toString()).doesNotContain("sk_live_hidden");
        assertThat(c.httpHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void thePostgresPasswordComesFromTheEnvironmentOrAFileAndReachesEveryConnection(@TempDir Path dir)
            throws Exception {
        // Settings.of stands for the environment (BILLING_PG_PASSWORD).
        ProcessorConfig env = ProcessorConfig.from(Settings.of(
                Map.of("pg.uri", "postgresql://billing:uri_password@db:5432/billing", "pg.password", "pg_env_secret")));
        assertThat(env.pgPassword()).isEqualTo("pg_env_secret");
        // The password set replaces the URI's; the user and the rest of the URI stay.
        assertThat(env.pgConnect().getPassword()).isEqualTo("pg_env_secret");
        assertThat(env.pgConnect().getUser()).isEqualTo("billing");
        assertThat(env.pgConnect().getHost()).isEqualTo("db");
        assertThat(env.toString()).doesNotContain("pg_env_secret");
        Path file = dir.resolve("pg-password");
        Files.writeString(file, "pg_file_secret\n");
        java.nio.file.Files.setPosixFilePermissions(
                file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ProcessorConfig fromFile = ProcessorConfig.from(Settings.of(Map.of("pg.passwordFile", file.toString())));
        assertThat(fromFile.pgConnect().getPassword()).isEqualTo("pg_file_secret");
        // Unset: the URI's own password (or none), as before.
        assertThat(ProcessorConfig.from(Settings.of(Map.of("pg.uri", "postgresql://u:in_uri@h:5432/d")))
                        .pgConnect()
                        .getPassword())
                .isEqualTo("in_uri");
        // reconcile shares the processor's settings: its options carry the password to its pool.
        var options = com.streamsocial.billing.processor.reconcile.ReconcileCommandAccess.parse(
                Settings.of(Map.of("pg.password", "pg_env_secret")));
        assertThat(options.pgConnect().getPassword()).isEqualTo("pg_env_secret");
        assertThat(options.toString()).doesNotContain("pg_env_secret");
    }

    @Test
    void reconcileTakesTheProviderKeyFromAFileAndRefusesItOnTheCommandLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("provider-key-for-reconcile");
        Files.writeString(file, "sk_from_reconcile_file\n");
        java.nio.file.Files.setPosixFilePermissions(
                file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        var fromFile = com.streamsocial.billing.processor.reconcile.ReconcileCommandAccess.parse(
                Settings.of(Map.of()), "--provider-key-file", file.toString());
        assertThat(fromFile.provider().secretKey()).isEqualTo("sk_from_reconcile_file");
        assertThat(fromFile.toString()).doesNotContain("sk_from_reconcile_file");
        assertThatThrownBy(() -> com.streamsocial.billing.processor.reconcile.ReconcileCommandAccess.parse(
                        Settings.of(Map.of()), "--provider-key", "sk_on_the_process_list"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--provider-key-file")
                .hasMessageNotContaining("sk_on_the_process_list");
        assertThatThrownBy(() -> com.streamsocial.billing.processor.reconcile.ReconcileCommandAccess.parse(
                        Settings.of(Map.of()),
                        "--provider-key-file",
                        dir.resolve("absent").toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot be read");
        // Issue 19 §6: the key file gets the owner-only check of every secret file.
        java.nio.file.Files.setPosixFilePermissions(
                file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> com.streamsocial.billing.processor.reconcile.ReconcileCommandAccess.parse(
                        Settings.of(Map.of()), "--provider-key-file", file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--provider-key-file")
                .hasMessageContaining("chmod 600")
                .hasMessageNotContaining("sk_from_reconcile_file");
        assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(Map.of("provider.secretKeyFile", file.toString()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.secretKeyFile")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void aPostgresPasswordGivenWithDStopsStartUp() {
        System.setProperty("pg.password", "pg_on_the_process_list");
        try {
            assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(Map.of())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dpg.password")
                    .hasMessageContaining("BILLING_PG_PASSWORD")
                    .hasMessageContaining("pg.passwordFile")
                    .hasMessageNotContaining("pg_on_the_process_list");
        } finally {
            System.clearProperty("pg.password");
        }
    }
}
