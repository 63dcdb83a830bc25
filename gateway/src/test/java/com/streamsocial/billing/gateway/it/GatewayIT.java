package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway alone against a real Kafka broker and a real PostgreSQL. */
class GatewayIT {
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final AtomicBoolean abortKeysPrefixedAbort = new AtomicBoolean();
    private static final AtomicBoolean failKeysPrefixedPrefail = new AtomicBoolean();
    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static String base;
    private static Gateway other;
    private static String otherBase;
    /** A key of the tenant "default", made in this test's PostgreSQL. */
    private static String apiKey;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        apiKey = TenantKeys.create(infra.pgUri(), "default");
        // A low limit makes any blocking call on an event loop show up in the log.
        vertx = Vertx.vertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(100)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
        int port = FreePorts.pick();
        GatewayConfig config = GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                "http.port",
                String.valueOf(port),
                "http.host",
                "127.0.0.1",
                "gateway.instanceId",
                "gateway-it",
                "gateway.producers",
                "2",
                "pg.uri",
                infra.pgUri(),
                "kafka.bootstrap.servers",
                infra.kafkaBootstrap())));
        gateway = Gateway.deploy(vertx, config, new com.streamsocial.billing.gateway.BatchFaults() {
                    @Override
                    public boolean abortAfterSend(List<com.streamsocial.billing.gateway.payment.PaymentRequest> b) {
                        return abortKeysPrefixedAbort.get()
                                && b.stream().anyMatch(r -> r.idempotencyKey().startsWith("abort-"));
                    }

                    @Override
                    public boolean failBeforeSend(List<com.streamsocial.billing.gateway.payment.PaymentRequest> b) {
                        return failKeysPrefixedPrefail.get()
                                && b.stream().anyMatch(r -> r.idempotencyKey().startsWith("prefail-"));
                    }
                })
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + port;
        // A second gateway instance on the same Kafka and PostgreSQL, as in a scaled-out deployment.
        int otherPort = FreePorts.pick();
        other = Gateway.deploy(
                        vertx,
                        GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                                "http.port",
                                String.valueOf(otherPort),
                                "http.host",
                                "127.0.0.1",
                                "gateway.instanceId",
                                "gateway-it-b",
                                "gateway.producers",
                                "1",
                                "pg.uri",
                                infra.pgUri(),
                                "kafka.bootstrap.servers",
                                infra.kafkaBootstrap()))),
                        com.streamsocial.billing.gateway.BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        otherBase = "http://127.0.0.1:" + otherPort;
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (other != null) {
            other.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static String body(long amount, String currency) {
        return new JsonObject()
                .put("amount", amount)
                .put("currency", currency)
                .put("customer_id", "cus_42")
                .put("payment_method", "pm_card_visa")
                .put("description", "it")
                .put("metadata", new JsonObject().put("order", "o-1"))
                .encode();
    }

    static HttpResponse<String> post(String key, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest postTo(String to, String key, String body) {
        return HttpRequest.newBuilder(URI.create(to + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    @Test
    void anotherInstanceSeesAPendingPaymentAndReplaysIt() throws Exception {
        String key = "instances-" + Long.toString(System.nanoTime(), 36);
        HttpResponse<String> first = post(key, "application/json", body(1234, "USD"));
        assertThat(first.statusCode()).isEqualTo(202);
        String id = new JsonObject(first.body()).getString("id");
        HttpResponse<String> seen = http.send(
                HttpRequest.newBuilder(URI.create(otherBase + "/v1/payments/" + id))
                        .header("Authorization", "Bearer " + apiKey)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(seen.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(seen.body()).getString("status")).isEqualTo("pending");
        HttpResponse<String> retry =
                http.send(postTo(otherBase, key, body(1234, "USD")), HttpResponse.BodyHandlers.ofString());
        assertThat(retry.statusCode()).isEqualTo(202);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(new JsonObject(retry.body()).getString("id")).isEqualTo(id);
        assertProblem(
                http.send(postTo(otherBase, key, body(4321, "USD")), HttpResponse.BodyHandlers.ofString()),
                422,
                "Idempotency-Key");
    }

    @Test
    void concurrentRetriesOnTwoInstancesPublishItOnce() throws Exception {
        String key = "two-instances-" + Long.toString(System.nanoTime(), 36);
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(HttpClient.newHttpClient()
                    .sendAsync(
                            postTo(i % 2 == 0 ? base : otherBase, key, body(99, "EUR")),
                            HttpResponse.BodyHandlers.ofString()));
        }
        int accepted = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isIn(202, 409);
            if (r.statusCode() == 202
                    && r.headers().firstValue("Idempotent-Replayed").isEmpty()) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(1);
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false))
                .extracting(ConsumerRecord::key)
                .containsExactly(PaymentIds.paymentId("default", key));
    }

    @Test
    void overloadIsShedWithA503RetryAfterAndACounterAndRetriesLoseNothing() throws Exception {
        // A deliberately tiny gateway: one lane, two queued requests at most.
        int port = FreePorts.pick();
        Gateway tiny = Gateway.deploy(
                        vertx,
                        GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                                "http.port", String.valueOf(port),
                                "http.host", "127.0.0.1",
                                "gateway.instanceId", "gateway-it-tiny",
                                "gateway.producers", "1",
                                "gateway.batchRecordsMax", "2",
                                "gateway.queueRecordsMax", "2",
                                "pg.uri", infra.pgUri(),
                                "kafka.bootstrap.servers", infra.kafkaBootstrap()))),
                        com.streamsocial.billing.gateway.BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        try {
            String run = "shed-" + Long.toString(System.nanoTime(), 36) + "-";
            String to = "http://127.0.0.1:" + port;
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 100; i++) {
                calls.add(client.sendAsync(
                        postTo(to, run + i, body(10 + i, "USD")), HttpResponse.BodyHandlers.ofString()));
            }
            List<Integer> shed = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                HttpResponse<String> r = calls.get(i).get(30, TimeUnit.SECONDS);
                if (r.statusCode() == 503) {
                    assertProblem(r, 503, null);
                    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                    shed.add(i);
                } else {
                    assertThat(r.statusCode()).isEqualTo(202);
                }
            }
            assertThat(shed)
                    .as("a queue of two cannot hold 100 concurrent requests")
                    .isNotEmpty();
            assertThat(tiny.metrics().count("gateway.requests.shed", "reason", "queue_full"))
                    .isEqualTo((double) shed.size());
            // A shed request wrote nothing: its retry with the same key is a first acceptance.
            for (int i : shed) {
                HttpResponse<String> retry =
                        client.send(postTo(to, run + i, body(10 + i, "USD")), HttpResponse.BodyHandlers.ofString());
                assertThat(retry.statusCode()).isEqualTo(202);
                assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
            }
        } finally {
            tiny.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + apiKey)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void assertProblem(HttpResponse<String> r, int status, String field) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        JsonObject p = new JsonObject(r.body());
        assertThat(p.getInteger("status")).isEqualTo(status);
        assertThat(p.getString("type")).startsWith("https://");
        assertThat(p.getString("title")).isNotBlank();
        if (field != null) {
            assertThat(p.getJsonArray("errors").stream()
                            .map(e -> ((JsonObject) e).getString("field"))
                            .toList())
                    .as(r.body())
                    .contains(field);
        }
    }

    @Test
    void acceptsAPaymentAndReportsItPending() throws Exception {
        String key = "accept-" + Long.toString(System.nanoTime(), 36);
        HttpResponse<String> r = post(key, "application/json", body(1999, "USD"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonObject json = new JsonObject(r.body());
        String id = PaymentIds.paymentId("default", key);
        assertThat(json.getString("id")).isEqualTo(id);
        assertThat(json.getString("status")).isEqualTo("pending");
        assertThat(json.getLong("amount")).isEqualTo(1999);
        assertThat(r.headers().firstValue("Location")).hasValue("/v1/payments/" + id);

        HttpResponse<String> g = get("/v1/payments/" + id);
        assertThat(g.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(g.body()).getString("status")).isEqualTo("pending");

        assertProblem(get("/v1/payments/" + PaymentIds.paymentId("default", "never-" + key)), 404, null);
        assertProblem(get("/v1/payments/not-an-id"), 404, null);
    }

    @Test
    void replaysTheSameRequestAndRefusesADifferentOne() throws Exception {
        String key = "replay-" + Long.toString(System.nanoTime(), 36);
        HttpResponse<String> first = post(key, "application/json", body(500, "EUR"));
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();

        // Same request, other whitespace and lower-case currency: the same canonical request.
        HttpResponse<String> again = post(key, "application/json", " " + body(500, "eur") + "\n");
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(new JsonObject(again.body()).getString("id"))
                .isEqualTo(new JsonObject(first.body()).getString("id"));

        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        HttpResponse<String> different = post(key, "application/json", body(501, "EUR"));
        assertProblem(different, 422, "Idempotency-Key");
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false))
                .isEmpty();
    }

    @Test
    void concurrentRetriesOfOneKeyPublishItOnce() throws Exception {
        String key = "concurrent-" + Long.toString(System.nanoTime(), 36);
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(700, "GBP")))
                .build();
        for (int i = 0; i < 20; i++) {
            calls.add(HttpClient.newHttpClient().sendAsync(req, HttpResponse.BodyHandlers.ofString()));
        }
        int accepted = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(30, TimeUnit.SECONDS);
            boolean replayed = r.headers().firstValue("Idempotent-Replayed").isPresent();
            if (r.statusCode() == 202 && !replayed) {
                accepted++;
            } else if (r.statusCode() == 409) {
                assertProblem(r, 409, null);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                assertThat(replayed).isTrue();
            }
        }
        assertThat(accepted).isEqualTo(1);
        HttpResponse<String> settled = post(key, "application/json", body(700, "GBP"));
        assertThat(settled.statusCode()).isEqualTo(202);
        assertThat(settled.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        List<ConsumerRecord<String, byte[]>> written =
                TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false);
        assertThat(written).extracting(ConsumerRecord::key).containsExactly(PaymentIds.paymentId("default", key));
    }

    /** A body at every length limit: the good request of the bad-input test, so each limit is exact. */
    static JsonObject atEveryLimit() {
        JsonObject meta = new JsonObject();
        for (int i = 0; i < RequestValidator.METADATA_PAIRS_MAX; i++) {
            String key = String.format("k%02d", i) + "x".repeat(RequestValidator.METADATA_KEY_LENGTH_MAX - 3);
            meta.put(key, "v".repeat(RequestValidator.METADATA_VALUE_LENGTH_MAX));
        }
        return new JsonObject()
                .put("amount", 10)
                .put("currency", "USD")
                .put("customer_id", "c".repeat(RequestValidator.ID_LENGTH_MAX))
                .put("payment_method", "p".repeat(RequestValidator.ID_LENGTH_MAX))
                .put("description", "d".repeat(RequestValidator.DESCRIPTION_LENGTH_MAX))
                .put("metadata", meta);
    }

    /** One bad request: its status, the field its problem names, and its key for the Kafka check. */
    private static void refused(List<String> keys, String key, String body, int status, String field) throws Exception {
        keys.add(key);
        assertProblem(post(key, "application/json", body), status, field);
    }

    @Test
    void badInputGetsAProblemAndWritesNothing() throws Exception {
        Map<TopicPartition, Long> billing = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        Map<TopicPartition, Long> metrics = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.METRICS);
        String k = "bad-" + Long.toString(System.nanoTime(), 36) + "-";
        List<String> keys = new ArrayList<>();
        String good = atEveryLimit().encode();
        assertThat(good.length()).isLessThan(RequestValidator.BODY_BYTES_MAX);
        refused(keys, k + "truncated", "{\"amount\": 10,", 400, "body");
        refused(keys, k + "array", "[1,2]", 400, "body");
        refused(keys, k + "string-amount", body(1, "USD").replace("1,", "\"1\","), 400, "amount");
        refused(keys, k + "fraction", body(10, "USD").replace("10,", "10.5,"), 400, "amount");
        refused(keys, k + "exponent", body(10, "USD").replace("10,", "1e3,"), 400, "amount");
        refused(keys, k + "currency", body(10, "XYZ"), 400, "currency");
        refused(keys, k + "zero", body(0, "USD"), 400, "amount");
        refused(keys, k + "too-much", body(100_000_000, "USD"), 400, "amount");
        refused(
                keys,
                k + "missing",
                "{\"amount\":5,\"currency\":\"USD\",\"payment_method\":\"pm_card_visa\"}",
                400,
                "customer_id");
        refused(keys, k + "unknown", body(10, "USD").replace("\"description\"", "\"surprise\""), 400, "surprise");
        refused(keys, k + "nul", body(10, "USD").replace("cus_42", "cus\\u0000"), 400, "customer_id");
        // Each length limit, one past it (the good request below sits exactly on every one).
        refused(
                keys,
                k + "customer-long",
                atEveryLimit().put("customer_id", "c".repeat(256)).encode(),
                400,
                "customer_id");
        refused(
                keys,
                k + "method-long",
                atEveryLimit().put("payment_method", "p".repeat(256)).encode(),
                400,
                "payment_method");
        refused(
                keys,
                k + "description-long",
                atEveryLimit().put("description", "d".repeat(1_001)).encode(),
                400,
                "description");
        JsonObject tooMany = atEveryLimit();
        tooMany.getJsonObject("metadata").put("one-more", "v");
        refused(keys, k + "metadata-count", tooMany.encode(), 400, "metadata");
        String longKey = "m".repeat(41);
        refused(
                keys,
                k + "metadata-key-long",
                new JsonObject(body(10, "USD"))
                        .put("metadata", new JsonObject().put(longKey, "v"))
                        .encode(),
                400,
                "metadata." + longKey.substring(0, 40) + "...");
        refused(
                keys,
                k + "metadata-value-long",
                new JsonObject(body(10, "USD"))
                        .put("metadata", new JsonObject().put("order", "v".repeat(501)))
                        .encode(),
                400,
                "metadata.order");
        // Strict input: nothing is altered on the way in.
        refused(
                keys,
                k + "duplicate",
                body(10, "USD").replace("{\"amount\":10,", "{\"amount\":1,\"amount\":99999,"),
                400,
                "amount");
        refused(keys, k + "surrogate", body(10, "USD").replace("cus_42", "cus\\ud800"), 400, "customer_id");
        refused(keys, k + "bell", body(10, "USD").replace("\"it\"", "\"it\\u0007\""), 400, "description");
        refused(keys, k + "escape", body(10, "USD").replace("cus_42", "cus\\u001b"), 400, "customer_id");
        refused(keys, k + "c1", body(10, "USD").replace("pm_card_visa", "pm\\u0085"), 400, "payment_method");
        refused(keys, k + "meta-value-control", body(10, "USD").replace("o-1", "o\\u009f"), 400, "metadata.order");
        refused(
                keys,
                k + "meta-key-control",
                body(10, "USD").replace("\"order\"", "\"ord\\u0007\""),
                400,
                "metadata.ord\\u0007");
        // A body over 16 KiB is refused for its size, before any field rule.
        refused(
                keys,
                k + "body-size",
                new JsonObject(body(10, "USD"))
                        .put("description", "x".repeat(17_000))
                        .encode(),
                413,
                "body");
        assertProblem(post(null, "application/json", body(10, "USD")), 400, "Idempotency-Key");
        assertProblem(post("", "application/json", body(10, "USD")), 400, "Idempotency-Key");
        assertProblem(post("k".repeat(256), "application/json", body(10, "USD")), 400, "Idempotency-Key");
        // Over a raw socket: the JDK client, on HTTP/1.1, would send a '?' in place of the non-ASCII byte.
        assertThat(rawPostStatusAndBody(k + "\u00e9", body(10, "USD")))
                .startsWith("400 ")
                .contains("\"field\":\"Idempotency-Key\"");
        // C0 controls in a header are refused by the HTTP codec itself, which has dropped the headers
        // by then (field "headers"); a C1 control reaches the key rule.
        for (String control : new String[] {"\u0007", "\u001b"}) {
            assertThat(rawPostStatusAndBody(k + control, body(10, "USD")))
                    .startsWith("400 ")
                    .contains("application/problem+json")
                    .contains("\"field\":\"headers\"");
        }
        assertThat(rawPostStatusAndBody(k + "\u0085", body(10, "USD")))
                .startsWith("400 ")
                .contains("application/problem+json")
                .contains("\"field\":\"Idempotency-Key\"");
        HttpResponse<String> media = post(k + "media", "text/plain", body(10, "USD"));
        assertThat(media.statusCode()).isEqualTo(415);
        assertThat(media.headers().firstValue("content-type")).hasValue("application/problem+json");

        // One good request after the bad ones, on every limit: once it is answered, every earlier one
        // is settled, and only it reached Kafka.
        String goodKey = k + "good";
        HttpResponse<String> accepted = post(goodKey, "application/json", good);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String goodId = PaymentIds.paymentId("default", goodKey);
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, false))
                .extracting(ConsumerRecord::key)
                .containsExactly(goodId);
        assertThat(metricsIds(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.METRICS, metrics, false)))
                .containsExactly(goodId);
        for (String key : keys) {
            assertProblem(get("/v1/payments/" + PaymentIds.paymentId("default", key)), 404, null);
        }
    }

    /**
     * Sends a header the JDK client refuses to send (a control character in the key) over a raw
     * socket; returns the status code and reason, then the response headers and body.
     */
    private static String rawPostStatusAndBody(String key, String body) throws Exception {
        URI uri = URI.create(base);
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(10_000);
            String head = "POST /v1/payments HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAuthorization: Bearer " + apiKey
                    + "\r\nIdempotency-Key: " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            String response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String statusLine = response.substring(0, response.indexOf("\r\n"));
            return statusLine.substring("HTTP/1.1 ".length()) + " " + response.substring(response.indexOf("\r\n") + 2);
        }
    }

    @Test
    void anAbortedBatchLeavesNoBillingAndNoMetricsEventVisible() throws Exception {
        Map<TopicPartition, Long> billing = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        Map<TopicPartition, Long> metrics = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.METRICS);
        String run = "abort-" + Long.toString(System.nanoTime(), 36) + "-";
        Set<String> ids = new HashSet<>();
        abortKeysPrefixedAbort.set(true);
        try {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = post(run + i, "application/json", body(100 + i, "USD"));
                assertProblem(r, 503, null);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
                ids.add(PaymentIds.paymentId("default", run + i));
            }
        } finally {
            abortKeysPrefixedAbort.set(false);
        }
        // The records were written, then aborted: read_uncommitted sees them, read_committed must not.
        assertThat(keys(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, false)))
                .containsAll(ids);
        assertThat(metricsIds(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.METRICS, metrics, false)))
                .containsAll(ids);
        assertThat(keys(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, true)))
                .doesNotContainAnyElementsOf(ids);
        assertThat(metricsIds(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.METRICS, metrics, true)))
                .doesNotContainAnyElementsOf(ids);
        for (String id : ids) {
            assertProblem(get("/v1/payments/" + id), 404, null);
        }

        // The aborted keys were released: a retry with the same key is accepted, and visible once.
        for (int i = 0; i < 10; i++) {
            assertThat(post(run + i, "application/json", body(100 + i, "USD")).statusCode())
                    .isEqualTo(202);
        }
        List<ConsumerRecord<String, byte[]>> committed =
                TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, true);
        assertThat(keys(committed)).containsExactlyInAnyOrderElementsOf(ids);
        for (ConsumerRecord<String, byte[]> rec : committed) {
            assertThat(PaymentEvent.parse(rec.value()).paymentId()).isEqualTo(rec.key());
        }
        assertThat(metricsIds(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.METRICS, metrics, true)))
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void aBatchThatFailsAfterReservingGivesItsKeysBack() throws Exception {
        Map<TopicPartition, Long> billing = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        String run = "prefail-" + Long.toString(System.nanoTime(), 36) + "-";
        failKeysPrefixedPrefail.set(true);
        try {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = post(run + i, "application/json", body(200 + i, "USD"));
                assertProblem(r, 503, null);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            }
        } finally {
            failKeysPrefixedPrefail.set(false);
        }
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, false))
                .isEmpty();
        // Released, not left reserved: the retry is a first acceptance at once, not a 409 until the
        // reservation times out.
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> retry = post(run + i, "application/json", body(200 + i, "USD"));
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        }
        assertThat(keys(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, billing, true)))
                .hasSize(5);
    }

    /**
     * The public port answers health with up or down only and has no {@code /metrics}; the detail and
     * the metrics are on the management listener (loopback, its own port).
     */
    @Test
    void publicHealthIsUpOrDownOnlyAndTheDetailAndMetricsAreOnManagement() throws Exception {
        HttpResponse<String> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(live.body())).isEqualTo(new JsonObject().put("status", "UP"));
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(new JsonObject(ready.body()))
                .as("no component, no error text on the public port")
                .isEqualTo(new JsonObject().put("status", "UP"));
        HttpResponse<String> publicMetrics = get("/metrics");
        assertThat(publicMetrics.statusCode()).as(publicMetrics.body()).isEqualTo(404);
        assertThat(publicMetrics.body()).doesNotContain("gateway_");

        String management = "http://127.0.0.1:" + gateway.managementPort();
        assertThat(gateway.managementPort()).isNotEqualTo(Integer.parseInt(base.replaceAll(".*:", "")));
        HttpResponse<String> detail = http.send(
                HttpRequest.newBuilder(URI.create(management + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(detail.statusCode()).as(detail.body()).isEqualTo(200);
        JsonObject checks = new JsonObject(detail.body()).getJsonObject("checks");
        assertThat(checks.fieldNames()).contains("postgres", "kafka", "producers", "lease");
        HttpResponse<String> m = http.send(
                HttpRequest.newBuilder(URI.create(management + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(m.body()).contains("# TYPE gateway_queue_records gauge");
    }

    /** The payment ids the analytics records hold (one record a batch, {@link MetricsBatch}). */
    private static List<String> metricsIds(List<ConsumerRecord<String, byte[]>> records) {
        return MetricsBatch.allIds(records.stream().map(ConsumerRecord::value).toList());
    }

    private static List<String> keys(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(ConsumerRecord::key).toList();
    }
}
