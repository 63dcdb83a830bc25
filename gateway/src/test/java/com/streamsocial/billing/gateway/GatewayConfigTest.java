package com.streamsocial.billing.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The listener's safe defaults (issue 19 §2): loopback, management apart, no plaintext off loopback. */
class GatewayConfigTest {
    @Test
    void defaultsListenOnLoopbackWithManagementApart() {
        GatewayConfig c = GatewayConfig.from(Settings.of(Map.of()));
        assertThat(c.httpHost()).isEqualTo("127.0.0.1");
        assertThat(c.plaintextOffLoopback()).isFalse();
        assertThat(c.managementHost()).isEqualTo("127.0.0.1");
        assertThat(c.managementPort()).isEqualTo(GatewayConfig.MANAGEMENT_PORT_DEFAULT);
        assertThat(c.httpConnectionsPerAddressMax()).isEqualTo(512);
    }

    @Test
    void plaintextOffLoopbackIsRefusedUnlessSaidSo() {
        for (String host : new String[] {"0.0.0.0", "::", "10.0.0.7"}) {
            assertThatThrownBy(() -> GatewayConfig.from(Settings.of(Map.of("http.host", host))))
                    .as(host)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("http.host=" + host + " is not a loopback address and TLS is off")
                    .hasMessageContaining("http.plaintext=true");
        }
        GatewayConfig behindProxy =
                GatewayConfig.from(Settings.of(Map.of("http.host", "0.0.0.0", "http.plaintext", "true")));
        assertThat(behindProxy.plaintextOffLoopback())
                .as("started, and warned about at start")
                .isTrue();
        GatewayConfig tls = GatewayConfig.from(Settings.of(Map.of(
                "http.host",
                "0.0.0.0",
                "http.tls.certPath",
                "/etc/billing/cert.pem",
                "http.tls.keyPath",
                "/etc/billing/key.pem")));
        assertThat(tls.plaintextOffLoopback()).isFalse();
    }

    @Test
    void managementPortAndPerAddressCapAreChecked() {
        assertThat(GatewayConfig.from(Settings.of(Map.of("management.port", "0")))
                        .managementPort())
                .as("0: any free port, on its own listener")
                .isZero();
        assertThatThrownBy(() -> GatewayConfig.from(Settings.of(Map.of("management.port", "-1"))))
                .hasMessageContaining("management.port");
        assertThatThrownBy(() -> GatewayConfig.from(Settings.of(Map.of("http.connectionsPerAddressMax", "0"))))
                .hasMessageContaining("http.connectionsPerAddressMax");
    }

    /** Issue 19 §5: writes and reads have their own defaults; the former single bucket is refused by name. */
    @Test
    void tenantBucketsAreSplitAndTheFormerSettingsAreRefused() {
        GatewayConfig c = GatewayConfig.from(Settings.of(Map.of()));
        assertThat(c.tenantLimits().writesPerS()).isEqualTo(2_500);
        assertThat(c.tenantLimits().writeBurst()).isEqualTo(2_500);
        assertThat(c.tenantLimits().readsPerS()).isEqualTo(1_000);
        assertThat(c.tenantLimits().readBurst()).isEqualTo(128);
        for (String former : new String[] {"limits.tenantRatePerS", "limits.tenantBurst"}) {
            assertThatThrownBy(() -> GatewayConfig.from(Settings.of(Map.of(former, "10"))))
                    .hasMessageContaining(former)
                    .hasMessageContaining("limits.tenantWritesPerS");
        }
    }

    /**
     * Issue 19 §6: TLS to PostgreSQL and Kafka as DEPLOYMENT.md documents it: the URI's {@code sslmode}
     * reaches the client's options, and {@code kafka.*} security settings reach the producer's
     * configuration next to the safety settings the code forces.
     */
    @Test
    void postgresAndKafkaTlsSettingsReachTheClients() {
        GatewayConfig c = GatewayConfig.from(Settings.of(Map.of(
                "pg.uri", "postgresql://billing@db.internal:5432/billing?sslmode=verify-full",
                "kafka.security.protocol", "SSL",
                "kafka.ssl.truststore.location", "/etc/billing/kafka-ca.p12",
                "kafka.ssl.truststore.type", "PKCS12")));
        assertThat(c.pgConnect().getSslMode()).isEqualTo(io.vertx.pgclient.SslMode.VERIFY_FULL);
        Map<String, Object> producer =
                com.streamsocial.billing.kafka.KafkaSafety.transactionalProducer(c.kafka(), "tx-1", 10_000);
        assertThat(producer)
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.location", "/etc/billing/kafka-ca.p12")
                .containsEntry("ssl.truststore.type", "PKCS12");
    }
}
