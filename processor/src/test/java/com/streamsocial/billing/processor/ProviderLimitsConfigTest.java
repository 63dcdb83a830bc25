package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.processor.psp.ProviderLimits;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The provider call limits' settings: defaults that need no setting on the sandbox, and their bounds. */
class ProviderLimitsConfigTest {
    private static ProviderLimits limits(Map<String, String> settings) {
        return ProcessorConfig.from(Settings.of(settings)).providerLimits();
    }

    @Test
    void theSandboxOnLoopbackGetsAnAdaptiveLimitUpTo4096AndARateAbove2000PaymentsASecond() {
        assertThat(limits(Map.of())).isEqualTo(new ProviderLimits(16, 4_096, 10_000));
    }

    @Test
    void aProviderElsewhereGetsStripesDefaultRateUnlessSet() {
        Map<String, String> stripe = Map.of("provider.baseUrl", "https://api.stripe.com", "provider.secretKey", "sk_x");
        assertThat(limits(stripe).rateLimitPerSec()).isEqualTo(100);
        Map<String, String> raised = new java.util.HashMap<>(stripe);
        raised.put("provider.rateLimitPerSec", "1000");
        assertThat(limits(raised).rateLimitPerSec()).isEqualTo(1_000);
    }

    @Test
    void aLowerCeilingAloneStaysValidAndBothEqualFixTheLimit() {
        assertThat(limits(Map.of("provider.inFlightMax", "8"))).isEqualTo(new ProviderLimits(8, 8, 10_000));
        assertThat(limits(Map.of("provider.inFlightMax", "300", "provider.concurrencyMin", "300")))
                .isEqualTo(new ProviderLimits(300, 300, 10_000));
    }

    @Test
    void outOfBoundsValuesStopStartUpNamingTheSetting() {
        assertThatThrownBy(() -> limits(Map.of("provider.inFlightMax", "8", "provider.concurrencyMin", "9")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.concurrencyMin");
        assertThatThrownBy(() -> limits(Map.of("provider.concurrencyMin", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.concurrencyMin");
        assertThatThrownBy(() -> limits(Map.of("provider.rateLimitPerSec", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.rateLimitPerSec");
        assertThatThrownBy(() -> limits(Map.of("provider.inFlightMax", "4097")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider.inFlightMax");
    }
}
