package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The processor's health and metrics port off loopback (issue 19 §2): refused unless said so. */
class ProcessorPlaintextTest {
    private static ProcessorConfig config(String host, String port) {
        return ProcessorConfig.from(Settings.of(Map.of("processor.httpHost", host, "processor.httpPort", port)));
    }

    @Test
    void offLoopbackWithoutTheSettingIsRefused() {
        assertThatThrownBy(() -> ProcessorMain.requirePlaintextAllowed(config("0.0.0.0", "8081"), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("processor.httpHost=0.0.0.0 is not a loopback address")
                .hasMessageContaining("processor.httpPlaintext=true");
    }

    @Test
    void loopbackTheSettingOrNoPortStart() {
        assertThatCode(() -> ProcessorMain.requirePlaintextAllowed(config("127.0.0.1", "8081"), false))
                .doesNotThrowAnyException();
        assertThatCode(() -> ProcessorMain.requirePlaintextAllowed(config("0.0.0.0", "8081"), true))
                .doesNotThrowAnyException();
        assertThatCode(() -> ProcessorMain.requirePlaintextAllowed(config("0.0.0.0", "-1"), false))
                .as("no HTTP port at all")
                .doesNotThrowAnyException();
    }
}
