package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.stack.LogCapture;
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

    @Test
    void offLoopbackWithTheSettingItWarnsAndOnLoopbackItDoesNot() {
        try (LogCapture logs = LogCapture.start()) {
            ProcessorMain.requirePlaintextAllowed(config("0.0.0.0", "8081"), true);
            assertThat(logs.warnings(ProcessorMain.class.getName()))
                    .as("%s", logs.lines())
                    .containsExactly("processor health and metrics served in plaintext on 0.0.0.0, which is not"
                            + " loopback (processor.httpPlaintext=true)");
        }
        try (LogCapture logs = LogCapture.start()) {
            ProcessorMain.requirePlaintextAllowed(config("127.0.0.1", "8081"), true);
            ProcessorMain.requirePlaintextAllowed(config("0.0.0.0", "-1"), true);
            assertThat(logs.warnings(ProcessorMain.class.getName())).isEmpty();
        }
    }
}
