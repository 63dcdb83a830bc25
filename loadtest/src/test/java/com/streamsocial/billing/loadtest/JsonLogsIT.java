package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Both jars with {@code log.format=json} and {@code log.level=DEBUG}, configured by a properties file
 * ({@code --config}) and flags, against a real broker, PostgreSQL and the sandbox: every line either
 * writes on standard output parses with Jackson as one JSON object; every payment's lines carry its
 * {@code payment_id} field (the gateway's acceptance, the processor's decision), no other line carries
 * one (the key-value pair does not leak to the next line on an event loop), and no line carries the
 * API key or the provider's secret key.
 */
class JsonLogsIT {
    private static final String API_KEY = "sk_test_JSONLOGS_api_4e1f09";
    private static final String PROVIDER_KEY = "sk_live_JSONLOGS_provider_77b2";
    private static final int PAYMENTS = 12;
    /** The messages of the lines about one payment, as the services log them (at DEBUG or INFO). */
    private static final Set<String> GATEWAY_PAYMENT_MESSAGES = Set.of(
            "accepted: published and committed",
            "replayed: the key was accepted before",
            "key reused with a different request: 422");

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private JarProcess gateway;
    private JarProcess processor;

    @Test
    void everyLineIsOneJsonObjectAndPaymentLinesCarryThePaymentId() throws Exception {
        List<String> ids = new ArrayList<>();
        String reusedId;
        String gatewayOut;
        String processorOut;
        try (LocalInfra infra = LocalInfra.start(0, 0)) {
            Vertx vertx = Vertx.vertx();
            try {
                int sandboxPort = FreePorts.pick();
                vertx.deployVerticle(new SandboxProvider(
                                "127.0.0.1", sandboxPort, infra.pgUri(), PROVIDER_KEY, SandboxFaults.NONE))
                        .await();
                TenantKeys.ensure(infra.pgUri(), "jsonlogs", API_KEY);
                Path config = sharedConfig(infra);
                int gatewayPort = FreePorts.pick();
                int processorPort = FreePorts.pick();
                startGateway(config, gatewayPort);
                startProcessor(config, processorPort, sandboxPort);
                for (int i = 0; i < PAYMENTS; i++) {
                    HttpResponse<String> r = post(gatewayPort, "json-" + i, payment(1000 + i));
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                    ids.add(new JsonObject(r.body()).getString("id"));
                }
                // The same key with another amount: a 422 whose line names the payment.
                HttpResponse<String> reused = post(gatewayPort, "json-0", payment(5));
                assertThat(reused.statusCode()).as(reused.body()).isEqualTo(422);
                reusedId = ids.get(0);
                Await.outcomes(infra.kafkaBootstrap(), PAYMENTS, 120_000);
            } finally {
                if (processor != null) {
                    processor.stop();
                }
                if (gateway != null) {
                    gateway.stop();
                }
                vertx.close().await();
            }
            gatewayOut = gateway.stdout();
            processorOut = processor.stdout();
        }
        assertEachPaymentsLines(ids, reusedId, gatewayOut, processorOut);
    }

    /** Shared by both: no secret in it, so group and others may read it. */
    private static Path sharedConfig(LocalInfra infra) throws Exception {
        Path config = Files.createTempFile("billing", ".properties");
        Files.writeString(config, """
                log.format=json
                log.level=DEBUG
                pg.uri=%s
                kafka.bootstrap.servers=%s
                topics.allowUnderReplicated=true
                """.formatted(infra.pgUri(), infra.kafkaBootstrap()));
        return config;
    }

    private void startGateway(Path config, int gatewayPort) throws Exception {
        gateway = JarProcess.start(
                "gateway",
                Map.of("gateway.producers", "1"),
                "--config",
                config.toString(),
                "--http.host=127.0.0.1",
                "--http.port=" + gatewayPort,
                "--management.port=0");
        assertThat(Await.status(http, "http://127.0.0.1:" + gatewayPort + "/health/ready", 200, 120_000))
                .as(gateway.output())
                .isTrue();
    }

    /** JarProcess passes provider.secretKey in the environment. */
    private void startProcessor(Path config, int processorPort, int sandboxPort) throws Exception {
        processor = JarProcess.start(
                "processor",
                Map.of("provider.secretKey", PROVIDER_KEY),
                "--config",
                config.toString(),
                "--processor.httpPort=" + processorPort,
                "--processor.loops=1",
                "--provider.baseUrl=http://127.0.0.1:" + sandboxPort,
                "--reconcile.intervalMs=0");
        assertThat(processor.awaitLine("processor processor-1 ready", 120_000))
                .as(processor.output())
                .isTrue();
    }

    /** Each payment's lines carry its id, in both services; no line carries a secret. */
    private void assertEachPaymentsLines(List<String> ids, String reusedId, String gatewayOut, String processorOut)
            throws Exception {
        Map<String, List<JsonNode>> gatewayLines = paymentLines("gateway", gatewayOut);
        Map<String, List<JsonNode>> processorLines = paymentLines("processor", processorOut);
        for (String id : ids) {
            assertThat(messages(gatewayLines.get(id)))
                    .as("the gateway's lines of %s", id)
                    .contains("accepted: published and committed");
            assertThat(messages(processorLines.get(id)))
                    .as("the processor's lines of %s", id)
                    .anyMatch(m -> m.startsWith("payment decided: succeeded"));
        }
        assertThat(messages(gatewayLines.get(reusedId))).contains("key reused with a different request: 422");
        for (String out : List.of(gatewayOut, processorOut)) {
            assertThat(out).doesNotContain(API_KEY).doesNotContain(PROVIDER_KEY).doesNotContain("JSONLOGS");
        }
    }

    /**
     * Parses every line of {@code stdout} as one JSON object with a time, level, logger and message;
     * returns the lines with a {@code payment_id} by that id, after checking that they, and only they,
     * are lines about a payment.
     */
    private Map<String, List<JsonNode>> paymentLines(String service, String stdout) throws Exception {
        Map<String, List<JsonNode>> byId = new java.util.HashMap<>();
        Set<String> loggers = new HashSet<>();
        String[] lines = stdout.split("\n", -1);
        // Ends with its newline: the last split part is empty, and there was output to parse.
        assertThat(lines[lines.length - 1])
                .as(service + ": the output ends with a newline")
                .isEmpty();
        assertThat(lines.length).as(service + " wrote lines").isGreaterThan(PAYMENTS);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            JsonNode n = json.readTree(line);
            assertThat(n != null && n.isObject())
                    .as(service + " line " + i + ": " + line)
                    .isTrue();
            for (String field : List.of("time", "level", "logger", "message")) {
                assertThat(n.hasNonNull(field))
                        .as(service + " line " + i + " has " + field + ": " + line)
                        .isTrue();
            }
            loggers.add(n.get("logger").asText());
            String message = n.get("message").asText();
            boolean aboutAPayment = service.equals("gateway")
                    ? GATEWAY_PAYMENT_MESSAGES.contains(message)
                    : message.startsWith("payment decided: ");
            if (n.hasNonNull("payment_id")) {
                byId.computeIfAbsent(n.get("payment_id").asText(), k -> new ArrayList<>())
                        .add(n);
                assertThat(aboutAPayment || message.startsWith("provider answer decided nothing"))
                        .as(service + " line " + i + " has a payment_id but is not about a payment: " + line)
                        .isTrue();
            } else {
                assertThat(aboutAPayment)
                        .as(service + " line " + i + " is about a payment but has no payment_id: " + line)
                        .isFalse();
            }
        }
        // Our own lines and the libraries' (through SLF4J) alike.
        assertThat(loggers).anyMatch(l -> l.startsWith("com.streamsocial.billing."));
        return byId;
    }

    private static List<String> messages(List<JsonNode> lines) {
        return lines == null
                ? List.of()
                : lines.stream().map(n -> n.get("message").asText()).toList();
    }

    private static String payment(long amount) {
        return "{\"amount\":" + amount
                + ",\"currency\":\"USD\",\"customer_id\":\"cus_1\",\"payment_method\":\"pm_card_visa\"}";
    }

    private HttpResponse<String> post(int port, String idempotencyKey, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/payments"))
                        .header("Authorization", "Bearer " + API_KEY)
                        .header("Idempotency-Key", idempotencyKey)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
