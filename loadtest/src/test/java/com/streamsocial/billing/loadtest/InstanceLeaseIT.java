package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 item 10, with the real jars on a real broker and PostgreSQL: a second gateway or processor
 * started by mistake with the id of a live one is refused (exit 3, the id and the holder named)
 * before it can fence anything, and the live one goes on serving; after a SIGKILL of the holder, a
 * restart with the same id starts at once; a process whose lease session ends stops (exit 4).
 */
class InstanceLeaseIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ProviderStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    private static Map<String, String> gateway(String id, int port) {
        Map<String, String> p = new HashMap<>();
        p.put("kafka.bootstrap.servers", stack.infra.kafkaBootstrap());
        p.put("pg.uri", stack.infra.pgUri());
        p.put("http.host", "127.0.0.1");
        p.put("http.port", String.valueOf(port));
        p.put("gateway.instanceId", id);
        p.put("gateway.producers", "1");
        // Any free port: two gateways of this test run at once.
        p.put("management.port", "0");
        p.putAll(LocalInfra.SINGLE_BROKER);
        return p;
    }

    @Test
    void aSecondGatewayWithTheSameIdIsRefusedAndTheLiveOneKeepsServing() throws Exception {
        int port = FreePorts.pick();
        JarProcess first = JarProcess.start("gateway", gateway("lease-gw", port));
        try {
            assertThat(first.awaitLine("gateway lease-gw listening", 120_000))
                    .as(first.output())
                    .isTrue();
            assertThat(pay(port, "lease-gw-1").statusCode()).isEqualTo(202);

            // The mistake from the issue: the same id (the default one) and the same port.
            JarProcess second = JarProcess.start("gateway", gateway("lease-gw", port));
            assertThat(second.awaitExit(120_000)).as(second.output()).isEqualTo(3);
            assertThat(second.stderr())
                    .contains("gateway.instanceId=lease-gw is held by another live process")
                    .contains("pid " + first.pid() + "@");
            assertThat(second.stdout()).doesNotContain("listening");
            System.out.println(
                    "InstanceLeaseIT: second gateway: " + second.stderr().strip());

            // The live gateway's lane producer was not fenced: its next transaction commits.
            HttpResponse<String> after = pay(port, "lease-gw-2");
            assertThat(after.statusCode()).as(after.body() + first.output()).isEqualTo(202);
            assertThat(first.stdout()).doesNotContain("transaction of lease-gw-lane-0 failed");
            assertThat(status(port, "/health/ready")).isEqualTo(200);
            assertThat(first.isAlive()).isTrue();
        } finally {
            first.kill();
        }

        // SIGKILL leaves no time to let go: the session ends with the process, and so does the lease.
        long t0 = System.nanoTime();
        JarProcess restarted = JarProcess.start("gateway", gateway("lease-gw", port));
        try {
            assertThat(restarted.awaitLine("gateway lease-gw listening", 120_000))
                    .as(restarted.output())
                    .isTrue();
            System.out.printf(
                    "InstanceLeaseIT: gateway restarted after SIGKILL, listening %d ms after launch%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(pay(port, "lease-gw-3").statusCode()).isEqualTo(202);

            // The lease session ends under a live gateway (a database failover, an operator's
            // pg_terminate_backend): it must stop, as it can no longer tell that it is the only one.
            assertThat(stack.pg.count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            + " WHERE application_name LIKE 'billing gateway lease-gw pid " + restarted.pid() + "@%'"))
                    .isEqualTo(1);
            assertThat(restarted.awaitExit(60_000)).as(restarted.output()).isEqualTo(4);
            assertThat(restarted.stderr()).contains("gateway lease-gw lost its instance lease");
        } finally {
            if (restarted.isAlive()) {
                restarted.kill();
            }
        }
    }

    @Test
    void aSecondProcessorWithTheSameIdIsRefusedAndTheLiveOneKeepsConsuming() throws Exception {
        int firstPort = FreePorts.pick();
        JarProcess first = JarProcess.start("processor", processor("lease-proc", firstPort));
        try {
            assertThat(first.awaitLine("processor lease-proc ready", 120_000))
                    .as(first.output())
                    .isTrue();

            // Same id: same transactional id and same group.instance.id. Another health port, so
            // nothing but the lease can stop it.
            JarProcess second = JarProcess.start("processor", processor("lease-proc", FreePorts.pick()));
            assertThat(second.awaitExit(120_000)).as(second.output()).isEqualTo(3);
            assertThat(second.stderr())
                    .contains("processor.instanceId=lease-proc is held by another live process")
                    .contains("pid " + first.pid() + "@");
            assertThat(second.stdout()).doesNotContain("processor lease-proc ready");
            System.out.println(
                    "InstanceLeaseIT: second processor: " + second.stderr().strip());

            // The live processor still owns its partitions and its producer: it charges a new payment.
            long emittedBefore = counter(firstPort, "processor_outcomes_emitted_total");
            assertThat(stack.pay("lease-proc-1", 1_000, "pm_card_visa").statusCode())
                    .isEqualTo(202);
            assertThat(stack.pg.awaitCount(
                            "SELECT count(*) FROM payments WHERE idempotency_key = 'lease-proc-1'"
                                    + " AND status = 'succeeded'",
                            1,
                            60_000))
                    .as(first.output())
                    .isEqualTo(1);
            assertThat(counter(firstPort, "processor_outcomes_emitted_total"))
                    .as("outcomes emitted by the live processor")
                    .isGreaterThan(emittedBefore);
            assertThat(status(firstPort, "/health/ready")).isEqualTo(200);
            assertThat(first.isAlive()).isTrue();
        } finally {
            first.kill();
        }

        long t0 = System.nanoTime();
        JarProcess restarted = JarProcess.start("processor", processor("lease-proc", FreePorts.pick()));
        try {
            assertThat(restarted.awaitLine("processor lease-proc ready", 120_000))
                    .as(restarted.output())
                    .isTrue();
            System.out.printf(
                    "InstanceLeaseIT: processor restarted after SIGKILL, ready %d ms after launch%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(stack.pay("lease-proc-2", 1_000, "pm_card_visa").statusCode())
                    .isEqualTo(202);
            assertThat(stack.pg.awaitCount(
                            "SELECT count(*) FROM payments WHERE idempotency_key = 'lease-proc-2'"
                                    + " AND status = 'succeeded'",
                            1,
                            60_000))
                    .as(restarted.output())
                    .isEqualTo(1);
        } finally {
            restarted.kill();
        }
    }

    private static Map<String, String> processor(String id, int httpPort) {
        return stack.processorSettings(Map.of(
                "processor.instanceId",
                id,
                "processor.httpPort",
                String.valueOf(httpPort),
                "provider.kind",
                "approve-all"));
    }

    private static HttpResponse<String> pay(int port, String key) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/payments"))
                        .header("Authorization", "Bearer " + stack.apiKey)
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofString(
                                        "{\"amount\":1000,\"currency\":\"USD\",\"customer_id\":\"cus_1\",\"payment_method\":\"pm_card_visa\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static long counter(int port, String name) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body()
                .lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToLong(l -> (long)
                        Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
                .sum();
    }
}
