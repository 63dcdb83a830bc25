package com.streamsocial.billing.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code kafka.*} pass-through reaches every client, TLS and SASL settings included, but cannot
 * weaken what exactly-once depends on: a configuration asking for acks=0, no idempotence,
 * read_uncommitted or auto-commit still gets the safe values. (KafkaTlsIT runs the clients over TLS.)
 */
class KafkaSafetyTest {
    private static final Map<String, Object> TLS = Map.of(
            "bootstrap.servers", "kafka-1:9093",
            "security.protocol", "SSL",
            "ssl.truststore.type", "PEM",
            "ssl.truststore.location", "/etc/billing/kafka-ca.pem");

    /** TLS plus every weakening a pass-through could try. */
    private static Map<String, Object> hostile() {
        Map<String, Object> m = new java.util.HashMap<>(TLS);
        m.put("acks", "0");
        m.put("enable.idempotence", "false");
        m.put("max.in.flight.requests.per.connection", "50");
        m.put("isolation.level", "read_uncommitted");
        m.put("enable.auto.commit", "true");
        m.put("transactional.id", "someone-else");
        m.put("transaction.timeout.ms", "900000");
        return m;
    }

    @Test
    void tlsSettingsReachEveryClient() {
        for (Map<String, Object> c : java.util.List.of(
                KafkaSafety.transactionalProducer(hostile(), "gw-lane-0", 10_000),
                KafkaSafety.idempotentProducer(hostile()),
                KafkaSafety.readCommittedConsumer(hostile(), "g"),
                KafkaSafety.admin(hostile()))) {
            assertThat(c).containsAllEntriesOf(TLS);
        }
    }

    @Test
    void passThroughCannotWeakenTheSafetySettings() {
        Map<String, Object> tx = KafkaSafety.transactionalProducer(hostile(), "gw-lane-0", 10_000);
        assertThat(tx)
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", true)
                .containsEntry("max.in.flight.requests.per.connection", 5)
                .containsEntry("transactional.id", "gw-lane-0")
                .containsEntry("transaction.timeout.ms", 10_000);
        assertThat(KafkaSafety.idempotentProducer(hostile()))
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", true);
        assertThat(KafkaSafety.readCommittedConsumer(hostile(), "g"))
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("enable.auto.commit", false)
                .containsEntry("group.id", "g");
    }
}
