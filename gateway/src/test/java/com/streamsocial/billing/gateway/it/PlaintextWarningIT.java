package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.LogCapture;
import com.streamsocial.billing.stack.SharedInfra;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §2: a gateway started in plaintext on an address other hosts reach ({@code
 * http.plaintext=true}, a TLS-terminating proxy in front) says so at WARN once it listens; on
 * loopback it does not. A real start against the shared PostgreSQL and Kafka, its lines captured.
 */
class PlaintextWarningIT {
    private static List<String> startAndWarnings(String instanceId, String host, boolean plaintext) throws Exception {
        LocalInfra infra = SharedInfra.get();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(FreePorts.pick()));
        s.put("http.host", host);
        if (plaintext) {
            s.put("http.plaintext", "true");
        }
        s.put("gateway.instanceId", instanceId);
        s.put("gateway.producers", "1");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        GatewayConfig config = GatewayConfig.from(LocalInfra.singleBrokerSettings(s));
        Vertx vertx = Vertx.vertx();
        try (LogCapture logs = LogCapture.start()) {
            Gateway gateway = Gateway.deploy(vertx, config, BatchFaults.NONE)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            try {
                return logs.warnings(Gateway.class.getName());
            } finally {
                gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void plaintextOffLoopbackIsAWarningAtStartAndLoopbackIsNot() throws Exception {
        List<String> offLoopback = startAndWarnings("gateway-plaintext-it", "0.0.0.0", true);
        List<String> plaintext =
                offLoopback.stream().filter(w -> w.contains("plaintext HTTP")).toList();
        assertThat(plaintext).as("%s", offLoopback).hasSize(1);
        assertThat(plaintext.get(0))
                .startsWith("gateway gateway-plaintext-it serves plaintext HTTP on 0.0.0.0, which is not loopback"
                        + " (http.plaintext=true)")
                .contains("TLS-terminating proxy");
        List<String> loopback = startAndWarnings("gateway-loopback-it", "127.0.0.1", false);
        assertThat(loopback).as("%s", loopback).noneMatch(w -> w.contains("plaintext HTTP"));
    }
}
