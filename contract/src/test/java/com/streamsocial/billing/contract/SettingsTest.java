package com.streamsocial.billing.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @Test
    void aSecretComesFromTheEnvironmentOrAFileNeverFromASystemProperty(@TempDir Path dir) throws Exception {
        assertThat(Settings.of(Map.of()).secret("test.secret")).isNull();
        assertThat(Settings.of(Map.of("test.secret", "from-env")).secret("test.secret"))
                .isEqualTo("from-env");
        Path file = dir.resolve("secret");
        Files.writeString(file, "from-file\n");
        assertThat(Settings.of(Map.of("test.secretFile", file.toString())).secret("test.secret"))
                .isEqualTo("from-file");
        System.setProperty("test.secret", "on-the-process-list");
        try {
            assertThatThrownBy(() -> Settings.of(Map.of()).secret("test.secret"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dtest.secret")
                    .hasMessageNotContaining("on-the-process-list");
        } finally {
            System.clearProperty("test.secret");
        }
    }
}
