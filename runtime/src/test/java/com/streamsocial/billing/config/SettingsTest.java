package com.streamsocial.billing.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
}
