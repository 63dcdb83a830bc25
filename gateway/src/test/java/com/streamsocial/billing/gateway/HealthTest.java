package com.streamsocial.billing.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.lease.LeaseCheck;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class HealthTest {
    @Test
    void theProbeGetsTheSameSecuritySettingsAsTheProducers() {
        Map<String, Object> kafka = Settings.of(Map.of(
                        "kafka.bootstrap.servers", "broker-1:9093",
                        "kafka.security.protocol", "SASL_SSL",
                        "kafka.sasl.mechanism", "SCRAM-SHA-512",
                        "kafka.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                        "kafka.ssl.truststore.location", "/etc/kafka/truststore.p12",
                        "gateway.lingerMs", "5"))
                .kafka();
        Map<String, Object> admin = Health.adminConfig(kafka);
        Map<String, Object> producer = KafkaSafety.transactionalProducer(kafka, "t", 10_000);
        for (String key : new String[] {
            "bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location"
        }) {
            assertThat(admin.get(key)).as(key).isNotNull().isEqualTo(producer.get(key));
        }
        assertThat(admin).containsEntry("security.protocol", "SASL_SSL").doesNotContainKey("gateway.lingerMs");
    }

    @Test
    void withoutSettingsTheProbeUsesTheDefaultBroker() {
        assertThat(Health.adminConfig(Map.of()))
                .containsEntry("bootstrap.servers", "127.0.0.1:9092")
                .containsEntry("request.timeout.ms", 3_000);
    }

    @Test
    void aLongerRequestTimeoutRaisesTheProbesApiTimeoutWithIt() {
        Map<String, Object> kafka =
                Settings.of(Map.of("kafka.request.timeout.ms", "30000")).kafka();
        Map<String, Object> admin = Health.adminConfig(kafka);
        // The admin client refuses an api timeout below the request timeout at construction: the
        // probe's settings must get past that, or the gateway cannot start with this setting.
        assertThatCode(() -> Admin.create(admin).close()).doesNotThrowAnyException();
        assertThat(admin).containsEntry("request.timeout.ms", "30000").containsEntry("default.api.timeout.ms", 30_000);
    }

    @Test
    void theAdminClientRefusesAnApiTimeoutBelowTheRequestTimeout() {
        // What the raise above guards against: without it, construction fails.
        Map<String, Object> tooShort = Map.of(
                "bootstrap.servers", "127.0.0.1:9092",
                "request.timeout.ms", "30000",
                "default.api.timeout.ms", 3_000);
        assertThatThrownBy(() -> Admin.create(tooShort).close())
                .hasRootCauseInstanceOf(ConfigException.class)
                .rootCause()
                .hasMessageContaining("default.api.timeout.ms");
    }

    @Test
    void aSuspectLeaseMakesTheGatewayNotReadyAndSaysWhy() {
        try (Health health = new Health(Map.of("bootstrap.servers", "127.0.0.1:1"))) {
            AtomicReference<LeaseCheck.State> lease = new AtomicReference<>(LeaseCheck.State.HELD);
            health.watchLease(lease::get, () -> "lease check unanswered (no answer within 5000 ms)");
            health.pgProbed(true, null);
            health.kafkaProbed(true, null);
            assertThat(health.readiness().getBoolean("ready")).isTrue();
            assertThat(health.readiness().getJsonObject("checks").getJsonObject("lease"))
                    .isEqualTo(new JsonObject()
                            .put("up", true)
                            .put("state", "HELD")
                            .putNull("error"));
            assertThat(health.leaseSuspect()).isFalse();

            lease.set(LeaseCheck.State.SUSPECT);
            JsonObject ready = health.readiness();
            assertThat(ready.getBoolean("ready")).isFalse();
            assertThat(ready.getJsonObject("checks").getJsonObject("lease"))
                    .isEqualTo(new JsonObject()
                            .put("up", false)
                            .put("state", "SUSPECT")
                            .put("error", "lease check unanswered"));
            assertThat(health.leaseSuspect()).isTrue();

            lease.set(LeaseCheck.State.LOST);
            assertThat(health.readiness()
                            .getJsonObject("checks")
                            .getJsonObject("lease")
                            .getBoolean("up"))
                    .isFalse();
            assertThat(health.leaseSuspect())
                    .as("LOST stops the gateway; it is not shed as suspect")
                    .isFalse();
        }
    }

    @Test
    void readinessListsTheDevelopmentOnlyModes() {
        try (Health production = new Health(Map.of("bootstrap.servers", "127.0.0.1:1"));
                Health dev = new Health(
                        Map.of("bootstrap.servers", "127.0.0.1:1"), List.of("gateway.ownership.firstUse=true (why)"))) {
            assertThat(production.readiness().getJsonArray("dev_modes")).isEmpty();
            assertThat(dev.readiness().getJsonArray("dev_modes").getList())
                    .containsExactly("gateway.ownership.firstUse=true (why)");
        }
    }

    @Test
    void readinessShowsAFailuresClassNotItsMessage() {
        try (Health health = new Health(Map.of("bootstrap.servers", "127.0.0.1:1"))) {
            Exception pg = new java.util.concurrent.CompletionException(new java.net.ConnectException(
                    "Connection refused: db-7.internal.example/10.1.2.3:5432 user billing_admin"));
            health.pgProbed(false, Health.reason(pg));
            health.kafkaProbed(
                    false,
                    Health.reason(new org.apache.kafka.common.errors.TimeoutException(
                            "Timed out waiting for a node assignment. Call: broker-3.internal.example:9092")));
            health.watchLease(
                    () -> LeaseCheck.State.SUSPECT,
                    () -> "lease check unanswered (io.vertx.pgclient.PgException: FATAL: password authentication"
                            + " failed for user \"billing_admin\" at db-7.internal.example)");
            String body = health.readiness().encode();
            assertThat(body)
                    .contains("ConnectException")
                    .contains("TimeoutException")
                    .contains("lease check unanswered")
                    .doesNotContain("internal.example")
                    .doesNotContain("10.1.2.3")
                    .doesNotContain("billing_admin");
        }
    }
}
