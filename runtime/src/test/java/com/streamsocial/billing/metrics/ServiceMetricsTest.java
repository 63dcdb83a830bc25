package com.streamsocial.billing.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import org.junit.jupiter.api.Test;

/** Which Kafka client metrics reach the scrape, and that none of them breaks the registry's filters. */
class ServiceMetricsTest {
    @Test
    void aClientWideKafkaMetricWithoutATopicTagIsKept() {
        try (ServiceMetrics metrics = new ServiceMetrics()) {
            // The consumer's records.lag.max is client-wide (no topic tag): the filters once threw on it.
            Gauge.builder("kafka.consumer.fetch.manager.records.lag.max", () -> 7.0)
                    .tag("client.id", "c1")
                    .register(metrics.registry());
            Gauge.builder("kafka.consumer.fetch.manager.records.lag", () -> 3.0)
                    .tag("topic", "payments_billing")
                    .register(metrics.registry());
            Gauge.builder("kafka.consumer.fetch.manager.records.lag", () -> 3.0)
                    .tag("topic", "payments.billing")
                    .register(metrics.registry());
            String scrape = metrics.scrape();
            assertThat(scrape).contains("kafka_consumer_fetch_manager_records_lag_max{client_id=\"c1\"} 7.0");
            // One series per partition: the legacy underscore topic tag is dropped.
            assertThat(scrape).contains("topic=\"payments.billing\"").doesNotContain("payments_billing");
        }
    }
}
