package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The start-up topic check against a real single broker, whose topics have replication factor 1 and
 * min.insync.replicas 1: without {@code topics.allowUnderReplicated} the gateway and the processor
 * refuse to start (exit 1), naming each topic they write or read (refunds and refund outcomes too)
 * and both values, before they take their lease or
 * create a producer; with it they start and each says at WARN, naming itself and its topics, that
 * nothing was checked. (On the 3-broker
 * cluster they pass the check: {@code ClusterScaleOutIT}.)
 */
class TopicSafetyIT {
    private static final LocalInfra infra = SharedInfra.get();

    @Test
    void theGatewayRefusesASingleBrokersTopicsNamingTopicAndValues() throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        p.put("pg.uri", infra.pgUri());
        p.put("http.host", "127.0.0.1");
        p.put("http.port", String.valueOf(FreePorts.pick()));
        p.put("gateway.instanceId", "topic-safety-gw");
        p.put("gateway.producers", "1");
        refusedThenStartedAtWarn(
                "gateway",
                p,
                "gateway topic-safety-gw listening",
                "gateway topic-safety-gw: topics.allowUnderReplicated=true: the replication of"
                        + " [payments.billing, payments.metrics, payments.refunds] is NOT checked",
                "refuses to start on under-replicated topics",
                "payments.billing: replication factor is 1, at least 3 required",
                "payments.billing: min.insync.replicas is 1, at least 2 required",
                "payments.metrics: replication factor is 1, at least 3 required",
                // A refund is answered after its Kafka commit, as a payment is (GatewayTopicsTest).
                "payments.refunds: replication factor is 1, at least 3 required",
                "payments.refunds: min.insync.replicas is 1, at least 2 required",
                "topics.allowUnderReplicated=true");
    }

    @Test
    void theProcessorRefusesThemTooAndStartsWithTheOverrideAtWarn() throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        p.put("pg.uri", infra.pgUri());
        p.put("processor.instanceId", "topic-safety-proc");
        p.put("processor.groupId", "topic-safety");
        p.put("processor.httpHost", "127.0.0.1");
        p.put("processor.httpPort", String.valueOf(FreePorts.pick()));
        p.put("processor.loops", "1");
        p.put("provider.kind", "approve-all");
        p.put("reconcile.intervalMs", "0");
        refusedThenStartedAtWarn(
                "processor",
                p,
                "processor topic-safety-proc ready",
                "processor topic-safety-proc: topics.allowUnderReplicated=true: the replication"
                        + " of [payments.billing,",
                "payments.billing: replication factor is 1, at least 3 required",
                "payments.results: replication factor is 1, at least 3 required",
                "payments.dlq: min.insync.replicas is 1, at least 2 required",
                // The refunds it reads and the refund outcomes it writes in its transactions.
                "payments.refunds: replication factor is 1, at least 3 required",
                "payments.refund-results: min.insync.replicas is 1, at least 2 required");
    }

    /**
     * {@code module} started with {@code settings} on the single broker's topics exits 1, with each
     * of {@code refusals} on stderr and never {@code readyLine}; started again with the override, it
     * reaches {@code readyLine} and logs {@code warning} at WARN.
     */
    private static void refusedThenStartedAtWarn(
            String module, Map<String, String> settings, String readyLine, String warning, String... refusals)
            throws Exception {
        JarProcess refused = JarProcess.start(module, settings);
        assertThat(refused.awaitExit(120_000)).as(refused.output()).isEqualTo(1);
        assertThat(refused.stderr()).contains(refusals);
        assertThat(refused.stdout()).doesNotContain(readyLine);

        JarProcess allowed = JarProcess.start(module, LocalInfra.singleBroker(settings));
        try {
            assertThat(allowed.awaitLine(readyLine, 120_000))
                    .as(allowed.output())
                    .isTrue();
            assertThat(allowed.output().lines())
                    .as(allowed.output())
                    .anySatisfy(line -> assertThat(line).contains("WARN").contains(warning));
        } finally {
            allowed.stop();
        }
    }
}
