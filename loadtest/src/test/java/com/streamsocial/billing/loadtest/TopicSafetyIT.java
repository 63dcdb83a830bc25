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
 * refuse to start (exit 1), naming each topic and both values, before they take their lease or
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
        JarProcess gateway = JarProcess.start("gateway", p);
        assertThat(gateway.awaitExit(120_000)).as(gateway.output()).isEqualTo(1);
        assertThat(gateway.stderr())
                .contains("refuses to start on under-replicated topics")
                .contains("payments.billing: replication factor is 1, at least 3 required")
                .contains("payments.billing: min.insync.replicas is 1, at least 2 required")
                .contains("payments.metrics: replication factor is 1, at least 3 required")
                .contains("topics.allowUnderReplicated=true");
        assertThat(gateway.stdout()).doesNotContain("gateway topic-safety-gw listening");

        JarProcess allowed = JarProcess.start("gateway", LocalInfra.singleBroker(p));
        try {
            assertThat(allowed.awaitLine("gateway topic-safety-gw listening", 120_000))
                    .as(allowed.output())
                    .isTrue();
            assertThat(allowed.output().lines())
                    .as(allowed.output())
                    .anySatisfy(line -> assertThat(line)
                            .contains("WARN")
                            .contains("gateway topic-safety-gw: topics.allowUnderReplicated=true: the replication of"
                                    + " [payments.billing, payments.metrics] is NOT checked"));
        } finally {
            allowed.stop();
        }
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
        JarProcess refused = JarProcess.start("processor", p);
        assertThat(refused.awaitExit(120_000)).as(refused.output()).isEqualTo(1);
        assertThat(refused.stderr())
                .contains("payments.billing: replication factor is 1, at least 3 required")
                .contains("payments.results: replication factor is 1, at least 3 required")
                .contains("payments.dlq: min.insync.replicas is 1, at least 2 required");
        assertThat(refused.stdout()).doesNotContain("processor topic-safety-proc ready");

        JarProcess allowed = JarProcess.start("processor", LocalInfra.singleBroker(p));
        try {
            assertThat(allowed.awaitLine("processor topic-safety-proc ready", 120_000))
                    .as(allowed.output())
                    .isTrue();
            assertThat(allowed.output().lines())
                    .as(allowed.output())
                    .anySatisfy(line -> assertThat(line)
                            .contains("WARN")
                            .contains("processor topic-safety-proc: topics.allowUnderReplicated=true: the replication"
                                    + " of [payments.billing,"));
        } finally {
            allowed.stop();
        }
    }
}
