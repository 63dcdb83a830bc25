package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runnable jars at start: an invalid value stops start-up naming its key; otherwise the effective
 * configuration is logged with secrets masked, and an unknown key is a warning. The settings point
 * nowhere, so the jars go no further than their first connection.
 */
class StartupConfigIT {
    @Test
    void anInvalidValueStopsStartUpNamingItsKey() throws Exception {
        JarProcess p = JarProcess.start(
                "gateway",
                Map.of("pg.uri", "postgresql://postgres@127.0.0.1:1/postgres", "gateway.lingerMs", "2ms"),
                new String[0]);
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(1);
        assertThat(p.stderr())
                .contains("gateway refused to start: invalid setting")
                .contains("gateway.lingerMs");
        assertThat(p.output()).doesNotContain("gateway configuration:");
    }

    @Test
    void aProviderSecretKeyGivenWithDStopsStartUpNamingTheAlternatives() throws Exception {
        JarProcess p = JarProcess.start(
                "processor",
                java.util.List.of("-Dprovider.secretKey=sk_live_on_the_process_list"),
                Map.of("pg.uri", "postgresql://postgres@127.0.0.1:1/postgres"),
                new String[0]);
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(1);
        assertThat(p.stderr())
                .contains("processor refused to start: invalid setting")
                .contains("-Dprovider.secretKey")
                .contains("BILLING_PROVIDER_SECRETKEY")
                .contains("provider.secretKeyFile");
        assertThat(p.output()).doesNotContain("sk_live_on_the_process_list");
    }

    @Test
    void theEffectiveConfigurationIsLoggedMaskedAndUnknownKeysAreWarned() throws Exception {
        JarProcess p = JarProcess.start(
                "processor",
                Map.of(
                        "pg.uri", "postgresql://billing:hunter2@127.0.0.1:1/postgres",
                        "kafka.bootstrap.servers", "127.0.0.1:1",
                        // Nothing to check there: this test is about the logged configuration.
                        "topics.allowUnderReplicated", "true",
                        "provider.secretKey", "sk_live_do_not_log",
                        "processor.maxPollRecord", "10"),
                new String[0]);
        assertThat(p.awaitExit(120_000)).as(p.output()).isNotNull().isNotEqualTo(0);
        String out = p.output();
        assertThat(out)
                .contains("processor configuration: {")
                .contains("pg.uri=postgresql://billing:****@127.0.0.1:1/postgres")
                .contains("provider.secretKey=****")
                .contains("processor.maxPollRecords=2000")
                .contains("unknown setting processor.maxPollRecord ignored")
                .doesNotContain("hunter2")
                .doesNotContain("sk_live_do_not_log");
    }

    @Test
    void aMissingConfigurationFileStopsStartUpNamingIt() throws Exception {
        JarProcess p = JarProcess.start("gateway", Map.of(), "--config", "/nonexistent/billing.properties");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(1);
        assertThat(p.stderr())
                .contains("gateway refused to start: cannot read the configuration file")
                .contains("/nonexistent/billing.properties");
        // The environment's file, for a command as for the service.
        JarProcess migrate =
                JarProcess.start("processor", Map.of(), "--config=/nonexistent/processor.properties", "migrate");
        assertThat(migrate.awaitExit(60_000)).as(migrate.output()).isEqualTo(1);
        assertThat(migrate.stderr()).contains("/nonexistent/processor.properties");
    }

    @Test
    void theFileIsUnderSystemPropertiesAndFlagsAreOnTopOfEverything() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("processor", ".properties");
        java.nio.file.Files.writeString(f, """
                pg.uri=postgresql://billing:hunter2@127.0.0.1:1/postgres
                kafka.bootstrap.servers=127.0.0.1:1
                processor.maxPollRecords=10
                processor.loops=2
                processor.backoffMaxMs=5000
                processor.maxPollRecord=7
                """);
        // JarProcess passes these as -D (the environment's place above the file is SettingsTest's).
        JarProcess p = JarProcess.start(
                "processor",
                Map.of("processor.loops", "3", "processor.backoffMaxMs", "6000"),
                "--config",
                f.toString(),
                "--processor.backoffMaxMs=7000");
        assertThat(p.awaitExit(120_000)).as(p.output()).isNotNull().isNotEqualTo(0);
        assertThat(p.output())
                .contains("config.file=" + f.toAbsolutePath())
                .contains("processor.maxPollRecords=10")
                .contains("processor.loops=3")
                .contains("processor.backoffMaxMs=7000")
                .contains("pg.uri=postgresql://billing:****@127.0.0.1:1/postgres")
                .contains("unknown setting processor.maxPollRecord ignored")
                .doesNotContain("hunter2");
    }

    @Test
    void aSecretInAFileOthersCanReadOrAsAFlagStopsStartUp() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("gateway", ".properties");
        java.nio.file.Files.writeString(f, "pg.password=SEARCHME_in_a_shared_file\n");
        java.nio.file.Files.setPosixFilePermissions(
                f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        JarProcess shared = JarProcess.start("gateway", Map.of(), "--config", f.toString());
        assertThat(shared.awaitExit(60_000)).as(shared.output()).isEqualTo(1);
        assertThat(shared.stderr())
                .contains(f.toString())
                .contains("pg.password")
                .contains("chmod 600");
        assertThat(shared.output()).doesNotContain("SEARCHME");
        JarProcess flag = JarProcess.start("gateway", Map.of(), "--pg.password=SEARCHME_on_the_process_list");
        assertThat(flag.awaitExit(60_000)).as(flag.output()).isEqualTo(1);
        assertThat(flag.stderr()).contains("--pg.password").contains("BILLING_PG_PASSWORD");
        assertThat(flag.output()).doesNotContain("SEARCHME");
    }
}
