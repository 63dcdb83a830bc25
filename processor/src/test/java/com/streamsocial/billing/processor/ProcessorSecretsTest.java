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
}
