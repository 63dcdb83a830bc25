package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-tenant rate limits, the connection cap, slow clients and GET floods, on a real gateway. */
class LimitsIT {
    private static final int CONNECTIONS_MAX = 6;
    private static final int READ_TIMEOUT_MS = 1_000;
    /** A connection over the cap is closed within this: generous, for a loaded CI machine. */
    private static final int CLOSED_AT_ONCE_BOUND_MS = 10_000;
    /** A GET refused for a full read queue is answered within this after its send: generous, as above. */
    private static final long FAST_503_BOUND_MS = 10_000;

    private static final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Vertx vertx;
    private static Gateway gateway;
    private static int port;
    private static String base;
    private static String keyFlood;
    private static String keyQuiet;
    private static String tenantQuiet;

    @BeforeAll
    static void start() throws Exception {
        LocalInfra infra = SharedInfra.get();
        long n = System.nanoTime();
        keyFlood = TenantKeys.create(infra.pgUri(), "flood-" + n);
        tenantQuiet = "quiet-" + n;
        keyQuiet = TenantKeys.create(infra.pgUri(), tenantQuiet);
        vertx = Vertx.vertx();
        port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-limits-it");
        s.put("gateway.producers", "1");
        // One payment a second with a burst of 3: any quick flood goes over it. Reads keep their own bucket.
        s.put("limits.tenantWritesPerS", "1");
        s.put("limits.tenantWriteBurst", "3");
        s.put("http.connectionsMax", String.valueOf(CONNECTIONS_MAX));
        s.put("http.requestReadTimeoutMs", String.valueOf(READ_TIMEOUT_MS));
        // One read connection and two waiting reads: a GET flood must spill into fast 503s.
        s.put("pg.readPoolSizeMax", "1");
        s.put("gateway.readsQueuedMax", "2");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        gateway = Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + port;
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpRequest post(String apiKey, String idempotencyKey) {
        return postTo(base, apiKey, idempotencyKey);
    }

    private static HttpRequest postTo(String gatewayBase, String apiKey, String idempotencyKey) {
        return HttpRequest.newBuilder(URI.create(gatewayBase + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", idempotencyKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                        .put("amount", 100)
                        .put("currency", "EUR")
                        .put("customer_id", "cus_l_" + Integer.toHexString(apiKey.hashCode()))
                        .put("payment_method", "pm_card_visa")
                        .encode()))
                .build();
    }

    @Test
    void oneTenantsFloodIsLimitedAndDoesNotStarveAnother() throws Exception {
        int limited = 0;
        // One after another on one kept-alive connection (the connection cap is small here).
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = http.send(
                    post(keyFlood, "flood-" + Long.toString(System.nanoTime(), 36) + "-" + i),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isIn(202, 429);
            if (r.statusCode() == 429) {
                limited++;
                assertThat(r.headers().firstValue("Retry-After"))
                        .hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
                assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
            }
        }
        // 30 requests within far less than 27 s at 1/s with a burst of 3.
        assertThat(limited).isPositive();
        // The flooding tenant's reads have their own bucket: its payments' rate does not stop its GETs.
        HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/payments/" + PaymentIds.paymentId("x", "never")))
                        .header("Authorization", "Bearer " + keyFlood)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).as(read.body()).isEqualTo(404);
        // The quiet tenant's burst is intact.
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http.send(
                    post(keyQuiet, "quiet-" + Long.toString(System.nanoTime(), 36)),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        }
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.managementPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .containsPattern("(?m)^gateway_requests_shed_total\\{reason=\"rate_limited\",status=\"429\"} [1-9]");
    }

    @Test
    void aClientTricklingItsHeadersOrBodyLosesItsConnection() throws Exception {
        try (Socket headers = new Socket("127.0.0.1", port)) {
            headers.setSoTimeout(30_000);
            headers.getOutputStream()
                    .write("POST /v1/payments HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            headers.getOutputStream().flush();
            // Closed by the server: end of stream, long before the socket's own timeout.
            assertThat(headers.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket body = new Socket("127.0.0.1", port)) {
            body.setSoTimeout(30_000);
            String head = "POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + keyQuiet
                    + "\r\nIdempotency-Key: slow-" + Long.toString(System.nanoTime(), 36)
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"amount\":";
            body.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            body.getOutputStream().flush();
            String answer = new String(body.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("application/problem+json");
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        // Its own gateway: no other test's kept-alive connection holds a place under its cap.
        int cappedPort = FreePorts.pick();
        Gateway capped = deploy(cappedPort, Map.of("gateway.instanceId", "gateway-limits-cap-it"));
        double refusedBefore = Series.counter(capped.metrics(), "gateway.connections.refused");
        int[] answeredAndClosed;
        try {
            answeredAndClosed = holdConnections(cappedPort, CONNECTIONS_MAX + 2);
        } finally {
            capped.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        assertThat(answeredAndClosed[0]).as("connections under the cap").isEqualTo(CONNECTIONS_MAX);
        assertThat(answeredAndClosed[1]).as("connections over the cap").isEqualTo(2);
        assertThat(Series.counter(capped.metrics(), "gateway.connections.refused") - refusedBefore)
                .isEqualTo(2);
    }

    /**
     * {@code http.connectionsPerAddressMax}: one address holding its share of connections gets the
     * next ones closed at once, counted apart from the process-wide cap, which it never reached.
     */
    @Test
    void connectionsFromOneAddressBeyondItsCapAreClosedAtOnce() throws Exception {
        int perAddressMax = CONNECTIONS_MAX / 2;
        int cappedPort = FreePorts.pick();
        Gateway capped = deploy(
                cappedPort,
                Map.of(
                        "gateway.instanceId",
                        "gateway-limits-address-cap-it",
                        "http.connectionsPerAddressMax",
                        String.valueOf(perAddressMax)));
        int[] answeredAndClosed;
        try {
            answeredAndClosed = holdConnections(cappedPort, perAddressMax + 2);
        } finally {
            capped.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        assertThat(answeredAndClosed[0])
                .as("connections under the address's cap")
                .isEqualTo(perAddressMax);
        assertThat(answeredAndClosed[1])
                .as("connections over the address's cap")
                .isEqualTo(2);
        assertThat(Series.counter(capped.metrics(), "gateway.connections.address.refused"))
                .isEqualTo(2);
        assertThat(Series.counter(capped.metrics(), "gateway.connections.refused"))
                .as("the process-wide cap was not reached")
                .isZero();
    }

    /**
     * Opens {@code count} connections one after the other, each asking once and staying open (kept
     * alive) to hold its place; returns how many were answered and how many closed unanswered.
     */
    private static int[] holdConnections(int port, int count) throws Exception {
        List<Socket> held = new ArrayList<>();
        int answered = 0;
        int closed = 0;
        try {
            for (int i = 0; i < count; i++) {
                Socket s = new Socket("127.0.0.1", port);
                // "At once": far less than this, on a loaded machine too; a connection left open
                // fails the test with a SocketTimeoutException.
                s.setSoTimeout(CLOSED_AT_ONCE_BOUND_MS);
                held.add(s);
                String status;
                try {
                    s.getOutputStream()
                            .write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    status = new java.io.BufferedReader(
                                    new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                            .readLine();
                } catch (java.net.SocketTimeoutException open) {
                    throw new AssertionError(
                            "connection " + i + " neither answered nor closed within " + CLOSED_AT_ONCE_BOUND_MS
                                    + " ms",
                            open);
                } catch (java.net.SocketException reset) {
                    status = null; // closed at once may also show as a reset
                }
                if (status == null) {
                    closed++;
                } else {
                    assertThat(status).startsWith("HTTP/1.1 200");
                    answered++;
                }
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        return new int[] {answered, closed};
    }

    @Test
    void aGetFloodGetsFast503sWhileIngestIsServed() throws Exception {
        // Its own gateway: no tenant rate limit in the way, so the flood reaches the read pool.
        LocalInfra infra = SharedInfra.get();
        int readsPort = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(readsPort));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-limits-reads-it");
        s.put("gateway.producers", "1");
        // One read connection and two waiting reads: a GET flood must spill into fast 503s.
        s.put("pg.readPoolSizeMax", "1");
        s.put("gateway.readsQueuedMax", "2");
        s.put("limits.tenantReadBurst", "100000");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        Gateway reads = Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        try {
            String readsBase = "http://127.0.0.1:" + readsPort;
            String id = PaymentIds.paymentId(tenantQuiet, "never");
            List<CompletableFuture<HttpResponse<String>>> gets = new ArrayList<>();
            List<CompletableFuture<Long>> answeredAfterMs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                long sentAtNs = System.nanoTime();
                CompletableFuture<HttpResponse<String>> g = http.sendAsync(
                        HttpRequest.newBuilder(URI.create(readsBase + "/v1/payments/" + id))
                                .header("Authorization", "Bearer " + keyFlood)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                gets.add(g);
                answeredAfterMs.add(g.thenApply(r -> (System.nanoTime() - sentAtNs) / 1_000_000));
            }
            // Ingest during the flood: every payment is accepted.
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> posted = http.send(
                        postTo(readsBase, keyQuiet, "ingest-" + Long.toString(System.nanoTime(), 36)),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
            }
            Map<Integer, Integer> statuses = new HashMap<>();
            long slowest503Ms = 0;
            for (int i = 0; i < gets.size(); i++) {
                HttpResponse<String> r = gets.get(i).get(60, TimeUnit.SECONDS);
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 503) {
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    slowest503Ms = Math.max(slowest503Ms, answeredAfterMs.get(i).get());
                }
            }
            // Reads are bounded: beyond one running and two waiting, a GET is refused at once.
            assertThat(statuses.keySet()).as(statuses.toString()).isSubsetOf(404, 503);
            assertThat(statuses.getOrDefault(503, 0)).as(statuses.toString()).isPositive();
            // Every 503 is the read shedding's (none from elsewhere), counted once each.
            assertThat(Series.counter(reads.metrics(), "gateway.requests.shed", "reason", "reads_unavailable"))
                    .as(statuses.toString())
                    .isEqualTo((double) statuses.getOrDefault(503, 0));
            // "At once": a refusal does not wait for the read pool (a generous bound for a loaded machine,
            // far below the pool's own wait).
            assertThat(slowest503Ms).as("slowest 503, ms after its send").isLessThan(FAST_503_BOUND_MS);
        } finally {
            reads.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGivenManagementPortServesHealthDetailAndMetricsAndThePublicPortOnlyUpOrDown() throws Exception {
        LocalInfra infra = SharedInfra.get();
        int apiPort = FreePorts.pick();
        int managementPort = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(apiPort));
        s.put("http.host", "127.0.0.1");
        s.put("management.port", String.valueOf(managementPort));
        s.put("gateway.instanceId", "gateway-limits-management-it");
        s.put("gateway.producers", "1");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        Gateway managed = Gateway.deploy(
                        vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        try {
            assertThat(managed.managementPort()).isEqualTo(managementPort);
            for (String path : List.of("/health/live", "/health/ready", "/metrics")) {
                assertThat(status("http://127.0.0.1:" + managementPort + path))
                        .as(path)
                        .isEqualTo(200);
            }
            assertThat(status("http://127.0.0.1:" + apiPort + "/metrics")).isEqualTo(404);
            // Health stays on the public port for a load balancer, up or down only.
            assertThat(status("http://127.0.0.1:" + apiPort + "/health/ready")).isEqualTo(200);
            // The API itself is unchanged.
            assertThat(status("http://127.0.0.1:" + apiPort + "/v1/payments/x")).isEqualTo(401);
        } finally {
            managed.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** A gateway with the shared one's connection settings ({@link #start}) on {@code port}, plus {@code extra}. */
    private static Gateway deploy(int port, Map<String, String> extra) throws Exception {
        LocalInfra infra = SharedInfra.get();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.producers", "1");
        s.put("http.connectionsMax", String.valueOf(CONNECTIONS_MAX));
        s.put("http.requestReadTimeoutMs", String.valueOf(READ_TIMEOUT_MS));
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        s.putAll(extra);
        return Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    private static int status(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
