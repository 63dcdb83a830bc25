package com.streamsocial.billing.processor.guarantee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.processor.ProcessorConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuaranteeTest {
    @Test
    void exactlyOnceIsTheDefault() {
        assertThat(ProcessorConfig.from(Settings.of(Map.of())).guarantee()).isEqualTo(Guarantee.EXACTLY_ONCE);
    }

    @Test
    void eachModeIsReadByItsName() {
        for (Guarantee g : Guarantee.values()) {
            assertThat(ProcessorConfig.from(Settings.of(Map.of("processor.guarantee", g.wire())))
                            .guarantee())
                    .isEqualTo(g);
        }
    }

    @Test
    void anInvalidValueStopsStartUpNamingTheKey() {
        for (String bad : new String[] {"exactly_once", "EXACTLY-ONCE", "at-least-twice"}) {
            assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(Map.of("processor.guarantee", bad))))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("processor.guarantee")
                    .hasMessageContaining("exactly-once, at-least-once, at-most-once");
        }
    }
}
