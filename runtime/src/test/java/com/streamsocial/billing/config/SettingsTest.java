package com.streamsocial.billing.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The effective configuration, its masking, unknown keys, and values that do not parse. */
class SettingsTest {
    @Test
    void theEffectiveConfigurationHasEveryValueReadWithSecretsMasked() {
        Settings s = Settings.of(Map.of(
                "gateway.lingerMs", "5",
                "provider.secretKey", "sk_live_abc",
                "pg.uri", "postgresql://billing:hunter2@db:5432/billing",
                "kafka.bootstrap.servers", "b1:9092",
                "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule password=\"x\";",
                "kafka.ssl.truststore.password", "changeit"));
        s.integer("gateway.lingerMs", 2);
        s.integer("gateway.queueRecordsMax", 5_000);
        s.string("provider.secretKey", "sk_test_sandbox");
        s.string("pg.uri", "postgresql://postgres@127.0.0.1:5433/postgres");
        Map<String, String> e = s.effective();
        assertThat(e)
                .containsEntry("gateway.lingerMs", "5")
                .containsEntry("gateway.queueRecordsMax", "5000")
                .containsEntry("provider.secretKey", "****")
                .containsEntry("pg.uri", "postgresql://billing:****@db:5432/billing")
                .containsEntry("kafka.bootstrap.servers", "b1:9092")
                .containsEntry("kafka.sasl.jaas.config", "****")
                .containsEntry("kafka.ssl.truststore.password", "****");
        assertThat(e.toString()).doesNotContain("sk_live_abc", "hunter2", "changeit", "PlainLoginModule");
    }

    @Test
    void keysUnderTheServicesPrefixesThatNothingReadAreUnknown() {
        // As from the environment: BILLING_GATEWAY_LINGERMS becomes gateway.lingerms.
        Settings s = Settings.of(Map.of(
                "gateway.lingerms", "5",
                "gateway.lingerMillis", "5",
                "processor.groupId", "g",
                "java.version", "17"));
        s.integer("gateway.lingerMs", 2);
        assertThat(s.unknownKeys("gateway.", "http.", "pg.")).containsExactly("gateway.lingerMillis");
        assertThat(s.unknownKeys("processor.")).containsExactly("processor.groupId");
    }

    @Test
    void aValueThatDoesNotParseFailsNamingItsKey() {
        Settings s = Settings.of(Map.of("gateway.lingerMs", "2ms", "processor.faults", "yes"));
        assertThatThrownBy(() -> s.integer("gateway.lingerMs", 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gateway.lingerMs")
                .hasMessageContaining("2ms");
        // It used to read as false.
        assertThatThrownBy(() -> s.bool("processor.faults", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("processor.faults");
        assertThat(Settings.of(Map.of("a", "TRUE")).bool("a", false)).isTrue();
    }

    @Test
    void aSecretComesFromTheEnvironmentOrAFileNeverFromASystemProperty(@TempDir Path dir) throws Exception {
        assertThat(Settings.of(Map.of()).secret("test.secret")).isNull();
        Settings env = Settings.of(Map.of("test.secret", "from-env"));
        assertThat(env.secret("test.secret")).isEqualTo("from-env");
        // Read, so known and shown masked; never its value.
        assertThat(env.unknownKeys("test.")).isEmpty();
        assertThat(env.effective()).containsEntry("test.secret", "****");
        Path file = dir.resolve("secret");
        Files.writeString(file, "from-file\n");
        java.nio.file.Files.setPosixFilePermissions(
                file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(Settings.of(Map.of("test.secretFile", file.toString())).secret("test.secret"))
                .isEqualTo("from-file");
        System.setProperty("test.secret", "on-the-process-list");
        try {
            assertThatThrownBy(() -> Settings.of(Map.of()).secret("test.secret"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dtest.secret")
                    .hasMessageContaining("BILLING_TEST_SECRET")
                    .hasMessageContaining("test.secretFile")
                    .hasMessageNotContaining("on-the-process-list");
        } finally {
            System.clearProperty("test.secret");
        }
    }

    private static Path file(Path dir, String text, String perms) throws Exception {
        Path f = dir.resolve("billing.properties");
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaultsThenFileThenEnvironmentThenSystemPropertiesThenFlags(@TempDir Path dir) throws Exception {
        Path f = file(dir, """
                # every layer sets gateway.lingerMs; each key below is set up to its own layer
                gateway.lingerMs=1
                gateway.batchRecordsMax=10
                gateway.queueRecordsMax=20
                gateway.retryAfterS=30
                kafka.bootstrap.servers=from-file:9092
                kafka.linger.ms=7
                """, "rw-r--r--");
        Settings.Loaded l = Settings.load(
                new String[] {"--config", f.toString(), "--gateway.lingerMs=5", "migrate", "--help"},
                Map.of(
                        "BILLING_GATEWAY_LINGERMS", "2",
                        "BILLING_GATEWAY_BATCHRECORDSMAX", "11",
                        "BILLING_GATEWAY_QUEUERECORDSMAX", "21",
                        "BILLING_KAFKA_BOOTSTRAP_SERVERS", "from-env:9092"),
                props("gateway.lingerMs", "3", "gateway.batchRecordsMax", "12"));
        Settings s = l.settings();
        // The command and its own options are left for the caller.
        assertThat(l.args()).containsExactly("migrate", "--help");
        assertThat(s.integer("gateway.lingerMs", 0)).isEqualTo(5);
        assertThat(s.source("gateway.lingerMs")).isEqualTo(Settings.Source.FLAG);
        assertThat(s.integer("gateway.batchRecordsMax", 0)).isEqualTo(12);
        assertThat(s.source("gateway.batchRecordsMax")).isEqualTo(Settings.Source.SYSTEM_PROPERTY);
        // The environment loses case, yet overrides the file's gateway.queueRecordsMax.
        assertThat(s.integer("gateway.queueRecordsMax", 0)).isEqualTo(21);
        assertThat(s.source("gateway.queueRecordsMax")).isEqualTo(Settings.Source.ENVIRONMENT);
        assertThat(s.integer("gateway.retryAfterS", 0)).isEqualTo(30);
        assertThat(s.source("gateway.retryAfterS")).isEqualTo(Settings.Source.FILE);
        assertThat(s.integer("gateway.transactionTimeoutMs", 10_000)).isEqualTo(10_000);
        assertThat(s.source("gateway.transactionTimeoutMs")).isNull();
        // kafka.* passes through from every layer, the higher one winning.
        assertThat(s.kafka())
                .containsEntry("bootstrap.servers", "from-env:9092")
                .containsEntry("linger.ms", "7");
        assertThat(s.effective())
                .containsEntry("config.file", f.toAbsolutePath().toString())
                .containsEntry("gateway.lingerMs", "5");
    }

    @Test
    void theFileCanBeNamedInTheEnvironmentAndItsUnknownKeysAreWarned(@TempDir Path dir) throws Exception {
        Path f = file(dir, "processor.maxPollRecord=10\n", "rw-r--r--");
        Settings s = Settings.load(new String[0], Map.of("BILLING_CONFIG_FILE", f.toString()), new Properties())
                .settings();
        s.integer("processor.maxPollRecords", 2_000);
        assertThat(s.unknownKeys("processor.")).containsExactly("processor.maxPollRecord");
        // --config wins over the environment's file.
        Path other = dir.resolve("other.properties");
        Files.writeString(other, "processor.loops=2\n");
        Settings o = Settings.load(
                        new String[] {"--config=" + other},
                        Map.of("BILLING_CONFIG_FILE", f.toString()),
                        new Properties())
                .settings();
        assertThat(o.integer("processor.loops", 3)).isEqualTo(2);
        assertThat(o.unknownKeys("processor.")).isEmpty();
    }

    @Test
    void aMissingOrUnreadableFileStopsStartUpNamingIt(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(
                        () -> Settings.load(new String[] {"--config", missing.toString()}, Map.of(), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("configuration file " + missing)
                .hasMessageContaining("NoSuchFileException");
        assertThatThrownBy(() ->
                        Settings.load(new String[0], Map.of("BILLING_CONFIG_FILE", dir.toString()), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("configuration file " + dir);
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "gateway.lingerMs=\\uZZZZ\n");
        assertThatThrownBy(() -> Settings.load(new String[] {"--config", bad.toString()}, Map.of(), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("configuration file " + bad);
        assertThatThrownBy(() -> Settings.load(new String[] {"--config"}, Map.of(), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--config");
        // A value from the file that does not parse fails naming its key, as from anywhere else.
        Path lingering = file(dir, "gateway.lingerMs=2ms\n", "rw-r--r--");
        Settings s = Settings.load(new String[] {"--config", lingering.toString()}, Map.of(), new Properties())
                .settings();
        assertThatThrownBy(() -> s.integer("gateway.lingerMs", 2)).hasMessageContaining("gateway.lingerMs");
    }

    @Test
    void aSecretInTheFileNeedsAFileOnlyItsOwnerCanRead(@TempDir Path dir) throws Exception {
        String text = "pg.password=SEARCHME_file_secret\nprovider.secretKey=sk_live_SEARCHME\n";
        for (String perms : new String[] {"rw-r--r--", "rw-r-----", "rw----r--"}) {
            Path f = file(dir, text, perms);
            assertThatThrownBy(() -> Settings.load(new String[] {"--config", f.toString()}, Map.of(), new Properties()))
                    .as(perms)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("pg.password")
                    .hasMessageContaining("chmod 600")
                    .hasMessageContaining("pg.passwordFile")
                    .hasMessageContaining(perms)
                    .hasMessageNotContaining("SEARCHME");
        }
        Path owner = file(dir, text, "rw-------");
        Settings s = Settings.load(new String[] {"--config", owner.toString()}, Map.of(), new Properties())
                .settings();
        assertThat(s.secret("pg.password")).isEqualTo("SEARCHME_file_secret");
        assertThat(s.secret("provider.secretKey")).isEqualTo("sk_live_SEARCHME");
        assertThat(s.effective().toString()).doesNotContain("SEARCHME");
        // A shared file may name secret files, key paths and keystore locations.
        Path secretFile = dir.resolve("pg-password");
        Files.writeString(secretFile, "from-secret-file\n");
        java.nio.file.Files.setPosixFilePermissions(
                secretFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path shared = file(
                dir,
                "pg.passwordFile=" + secretFile + "\nhttp.tls.keyPath=/etc/tls.key\n"
                        + "kafka.ssl.keystore.location=/etc/ks.p12\nkafka.ssl.keystore.type=PKCS12\n",
                "rw-r--r--");
        Settings sh = Settings.load(new String[] {"--config", shared.toString()}, Map.of(), new Properties())
                .settings();
        assertThat(sh.secret("pg.password")).isEqualTo("from-secret-file");
        // Kafka secrets too: a JAAS configuration holds a password.
        Path jaas = file(dir, "kafka.sasl.jaas.config=x password=\"y\";\n", "rw-rw-r--");
        assertThatThrownBy(() -> Settings.load(new String[] {"--config", jaas.toString()}, Map.of(), new Properties()))
                .hasMessageContaining("kafka.sasl.jaas.config");
    }

    @Test
    void aSecretIsRefusedAsAFlagOrAsADOfAKafkaSecret() {
        assertThatThrownBy(() -> Settings.load(new String[] {"--pg.password=hunter2"}, Map.of(), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--pg.password")
                .hasMessageContaining("BILLING_PG_PASSWORD")
                .hasMessageContaining("pg.passwordFile")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> Settings.load(new String[0], Map.of(), props("kafka.ssl.key.password", "changeit")))
                .hasMessageContaining("-Dkafka.ssl.key.password")
                .hasMessageNotContaining("changeit");
        // A flag naming a file is fine, and a flag without a dot is the command's, not a setting.
        Settings.Loaded l = Settings.load(
                new String[] {"--pg.passwordFile=/run/secrets/pg", "reconcile", "--hours", "2", "--repair"},
                Map.of(),
                new Properties());
        assertThat(l.args()).containsExactly("reconcile", "--hours", "2", "--repair");
        assertThat(l.settings().source("pg.passwordFile")).isEqualTo(Settings.Source.FLAG);
    }

    @Test
    void aPasswordInAUriQueryIsMaskedToo() {
        assertThat(Settings.masked(
                        "pg.uri", "postgresql://db:5432/billing?user=billing&password=hunter2&sslmode=require"))
                .isEqualTo("postgresql://db:5432/billing?user=billing&password=****&sslmode=require");
    }

    /** Issue 19 §6: a secret file gets the configuration file's owner-only check. */
    @Test
    void aSecretFileOthersMayReadIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pg-password");
        Files.writeString(f, "SEARCHME_shared_secret\n");
        for (String perms : new String[] {"rw-r--r--", "rw-r-----", "rw----r--"}) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
            assertThatThrownBy(() ->
                            Settings.of(Map.of("pg.passwordFile", f.toString())).secret("pg.password"))
                    .as(perms)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("pg.passwordFile")
                    .hasMessageContaining("chmod 600")
                    .hasMessageNotContaining("SEARCHME");
        }
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(Settings.of(Map.of("pg.passwordFile", f.toString())).secret("pg.password"))
                .isEqualTo("SEARCHME_shared_secret");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
        assertThat(Settings.readSecretFile("--provider-key-file", f.toString())).isEqualTo("SEARCHME_shared_secret");
    }

    /** Issue 19 §6: a URI holding a password is refused as a flag or a -D, naming it, never its value. */
    @Test
    void aUriHoldingAPasswordIsRefusedOnTheCommandLine() {
        for (String uri : new String[] {
            "postgresql://billing:SEARCHME_pw@db:5432/billing", "postgresql://billing@db/billing?password=SEARCHME_pw"
        }) {
            assertThatThrownBy(() -> Settings.load(new String[] {"--pg.uri=" + uri}, Map.of(), new Properties()))
                    .as(uri)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--pg.uri holds a password")
                    .hasMessageNotContaining("SEARCHME");
            assertThatThrownBy(() -> Settings.load(new String[0], Map.of(), props("pg.uri", uri)))
                    .as(uri)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dpg.uri holds a password")
                    .hasMessageNotContaining("SEARCHME");
        }
        // Without a password, and in the environment with one, the URI is taken.
        assertThat(Settings.load(
                                new String[] {"--pg.uri=postgresql://billing@db:5432/billing"},
                                Map.of(),
                                new Properties())
                        .settings()
                        .string("pg.uri", null))
                .isEqualTo("postgresql://billing@db:5432/billing");
        assertThat(Settings.load(
                                new String[0],
                                Map.of("BILLING_PG_URI", "postgresql://billing:pw@db/billing"),
                                new Properties())
                        .settings()
                        .string("pg.uri", null))
                .isEqualTo("postgresql://billing:pw@db/billing");
    }
}
