package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Secrets never leave: a small real run (gateway and processor jars as their own processes, a real
 * broker and PostgreSQL, the sandbox provider) with known values for the API key, the provider's
 * secret key and the PostgreSQL password; then everything the run produced is searched for them:
 * both processes' output, their command lines (what {@code ps} shows), {@code /metrics} and health,
 * the bodies and headers of bad requests, and every record (key, value, headers) on every topic,
 * aborted ones included.
 */
class SecretsSearchIT {
    private static final String API_KEY = "sk_test_SEARCHME_api_7c1d9e4b";
    private static final String PROVIDER_KEY = "sk_live_SEARCHME_provider_52af0c";
    private static final String PG_PASSWORD = "SEARCHME_pg_password_e81b";
    private static final int PAYMENTS = 20;

    private final HttpClient http = HttpClient.newHttpClient();

    /** What the run produced, by where it came from: each is searched for the secrets. */
    private final Map<String, String> haystacks = new LinkedHashMap<>();

    private JarProcess gateway;
    private JarProcess processor;

    @Test
    void noSecretAppearsInAnythingTheRunProduced() throws Exception {
        try (LocalInfra infra = LocalInfra.start(0, 0)) {
            Vertx vertx = Vertx.vertx();
            try {
                int sandboxPort = FreePorts.pick();
                vertx.deployVerticle(new SandboxProvider(
                                "127.0.0.1", sandboxPort, infra.pgUri(), PROVIDER_KEY, SandboxFaults.NONE))
                        .await();
                TenantKeys.ensure(infra.pgUri(), "secrets", API_KEY);
                int gatewayPort = FreePorts.pick();
                int processorPort = FreePorts.pick();
                int managementPort = FreePorts.pick();
                startGateway(infra, gatewayPort, managementPort);
                startProcessor(infra, processorPort, sandboxPort);

                // What ps shows.
                haystacks.put("gateway command line", commandLine(gateway.pid()));
                haystacks.put("processor command line", commandLine(processor.pid()));

                paymentsAndBadRequests(gatewayPort);
                Await.outcomes(infra.kafkaBootstrap(), PAYMENTS, 120_000);
                healthAndMetrics(gatewayPort, managementPort, processorPort);
                everyRecordOnEveryTopic(infra);
            } finally {
                // SIGTERM: their shutdown output counts too.
                if (processor != null) {
                    processor.stop();
                    haystacks.put("processor output", processor.output());
                }
                if (gateway != null) {
                    gateway.stop();
                    haystacks.put("gateway output", gateway.output());
                }
                vertx.close().await();
            }
        }
        // The run did produce something to search, and the search can see a planted value.
        assertThat(haystacks.get("processor output")).contains("processor processor-1 ready");
        assertThat(haystacks.get("topic " + Topics.BILLING)).contains("secrets-");
        for (Map.Entry<String, String> h : haystacks.entrySet()) {
            for (String secret : List.of(API_KEY, PROVIDER_KEY, PG_PASSWORD)) {
                assertThat(h.getValue())
                        .as("%s must not contain %s", h.getKey(), secret)
                        .doesNotContain(secret);
            }
            // Nor the part of a key that makes it secret (a log line could print a prefix-free slice).
            assertThat(h.getValue()).as(h.getKey()).doesNotContain("SEARCHME");
        }
    }

    /** JarProcess passes pg.password and provider.secretKey in the environment, as an operator must. */
    private void startGateway(LocalInfra infra, int gatewayPort, int managementPort) throws Exception {
        gateway = JarProcess.start(
                "gateway",
                LocalInfra.singleBroker(Map.of(
                        "http.host",
                        "127.0.0.1",
                        "http.port",
                        String.valueOf(gatewayPort),
                        "management.port",
                        String.valueOf(managementPort),
                        "gateway.producers",
                        "1",
                        "pg.uri",
                        infra.pgUri(),
                        "pg.password",
                        PG_PASSWORD,
                        "kafka.bootstrap.servers",
                        infra.kafkaBootstrap())));
        assertThat(Await.status(http, gatewayUrl(gatewayPort, "/health/ready"), 200, 120_000))
                .as(gateway.output())
                .isTrue();
    }

    private void startProcessor(LocalInfra infra, int processorPort, int sandboxPort) throws Exception {
        processor = JarProcess.start(
                "processor",
                LocalInfra.singleBroker(Map.of(
                        "processor.httpPort",
                        String.valueOf(processorPort),
                        "processor.loops",
                        "1",
                        "pg.uri",
                        infra.pgUri(),
                        "pg.password",
                        PG_PASSWORD,
                        "kafka.bootstrap.servers",
                        infra.kafkaBootstrap(),
                        "provider.baseUrl",
                        "http://127.0.0.1:" + sandboxPort,
                        "provider.secretKey",
                        PROVIDER_KEY,
                        "reconcile.intervalMs",
                        "0")));
        assertThat(processor.awaitLine("processor processor-1 ready", 120_000))
                .as(processor.output())
                .isTrue();
    }

    /** The payments, then bad requests, each with a secret in it somewhere: the answers must not echo it. */
    private void paymentsAndBadRequests(int gatewayPort) throws Exception {
        for (int i = 0; i < PAYMENTS; i++) {
            HttpResponse<String> r = post(gatewayPort, "Bearer " + API_KEY, "secrets-" + i, payment("pm_card_visa"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        }
        record Bad(String authorization, String key, String body, int status) {}
        List<Bad> bad = List.of(
                new Bad("Bearer " + API_KEY + "x", "bad-1", payment("pm_card_visa"), 401),
                new Bad("Bearer " + PROVIDER_KEY, "bad-2", payment("pm_card_visa"), 401),
                new Bad("Basic " + API_KEY, "bad-3", payment("pm_card_visa"), 401),
                new Bad("Bearer " + API_KEY, "bad-4", "{\"amount\":" + API_KEY + "}", 400),
                new Bad("Bearer " + API_KEY, "bad-5", payment("4242 4242 4242 4242"), 422));
        for (Bad b : bad) {
            HttpResponse<String> r = post(gatewayPort, b.authorization(), b.key(), b.body());
            assertThat(r.statusCode()).as(b + " " + r.body()).isEqualTo(b.status());
            haystacks.put("answer to " + b.key(), r.headers().map() + "\n" + r.body());
        }
        HttpResponse<String> foreign = http.send(
                HttpRequest.newBuilder(URI.create(gatewayUrl(gatewayPort, "/v1/payments/pay_unknown")))
                        .header("Authorization", "Bearer " + API_KEY)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        haystacks.put("answer to a GET of an unknown payment", foreign.headers().map() + "\n" + foreign.body());
    }

    private void healthAndMetrics(int gatewayPort, int managementPort, int processorPort) throws Exception {
        haystacks.put("gateway /health/ready", get(gatewayUrl(gatewayPort, "/health/ready")));
        // The management listener's: the metrics, and readiness with its detail.
        haystacks.put("gateway /metrics", get(gatewayUrl(managementPort, "/metrics")));
        haystacks.put("gateway management /health/ready", get(gatewayUrl(managementPort, "/health/ready")));
        haystacks.put("processor /metrics", get("http://127.0.0.1:" + processorPort + "/metrics"));
        haystacks.put("processor /health/ready", get("http://127.0.0.1:" + processorPort + "/health/ready"));
    }

    private void everyRecordOnEveryTopic(LocalInfra infra) {
        for (String topic : Topics.ALL) {
            StringBuilder all = new StringBuilder();
            // Uncommitted too: an aborted record was still written to the log.
            List<ConsumerRecord<String, byte[]>> records = TopicReader.readAll(infra.kafkaBootstrap(), topic, false);
            for (ConsumerRecord<String, byte[]> r : records) {
                all.append(r.key()).append(' ');
                all.append(r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8));
                for (Header h : r.headers()) {
                    all.append(' ').append(h.key()).append('=');
                    all.append(h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
                }
                all.append('\n');
            }
            if (topic.equals(Topics.BILLING) || topic.equals(Topics.RESULTS)) {
                assertThat(records).as(topic).hasSizeGreaterThanOrEqualTo(PAYMENTS);
            }
            haystacks.put("topic " + topic, all.toString());
        }
    }

    private static String gatewayUrl(int port, String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private static String payment(String method) {
        return "{\"amount\":1000,\"currency\":\"USD\",\"customer_id\":\"cus_1\",\"payment_method\":\"" + method + "\"}";
    }

    private HttpResponse<String> post(int port, String authorization, String idempotencyKey, String body)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(gatewayUrl(port, "/v1/payments")))
                        .header("Authorization", authorization)
                        .header("Idempotency-Key", idempotencyKey)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String get(String url) throws Exception {
        HttpResponse<String> r =
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        return r.headers().map() + "\n" + r.body();
    }

    /** The process's arguments as the process list shows them. */
    private static String commandLine(long pid) throws Exception {
        byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
        Process ps = new ProcessBuilder("ps", "-ww", "-o", "args=", "-p", Long.toString(pid))
                .redirectErrorStream(true)
                .start();
        String shown = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ps.waitFor(10, TimeUnit.SECONDS);
        return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ') + "\n" + shown;
    }
}
