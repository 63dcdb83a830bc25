package com.streamsocial.billing.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.Test;

class SeriesTest {
    @Test
    void aCounterAtZeroReadsZeroAndAnAbsentOneFails() {
        try (ServiceMetrics metrics = new ServiceMetrics()) {
            Counter.builder("test.kept").tag("kind", "a").register(metrics.registry());
            Counter.builder("test.kept")
                    .tag("kind", "b")
                    .register(metrics.registry())
                    .increment(2);
            assertThat(Series.counter(metrics, "test.kept")).isEqualTo(2);
            assertThat(Series.counter(metrics, "test.kept", "kind", "a")).isZero();
            assertThatThrownBy(() -> Series.counter(metrics, "test.renamed"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("test.renamed");
            assertThatThrownBy(() -> Series.counter(metrics, "test.kept", "kind", "c"))
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void aSampleAtZeroReadsZeroAndAnAbsentOneFails() {
        String scrape = """
                # TYPE shed_total counter
                shed_total{reason="queue",status="503"} 0.0
                shed_total{reason="rate",status="429"} 3.0
                accepted_total 7.0
                """;
        assertThat(Series.sample(scrape, "shed_total", "reason", "queue")).isZero();
        assertThat(Series.sample(scrape, "shed_total")).isEqualTo(3);
        assertThat(Series.sample(scrape, "accepted_total")).isEqualTo(7);
        assertThatThrownBy(() -> Series.sample(scrape, "shed")).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> Series.sample(scrape, "shed_total", "reason", "other"))
                .isInstanceOf(AssertionError.class);
        assertThat(Series.find(scrape, "accepted")).isEmpty();
    }
}
