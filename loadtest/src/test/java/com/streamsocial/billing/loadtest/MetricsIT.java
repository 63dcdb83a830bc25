package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
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

/**
 * Both services' {@code /metrics} under a little load: each scrape passes {@code promtool check
 * metrics} (which must be installed: CI installs the Debian package {@code prometheus}; without it
 * this test fails), and the counters agree with what the test sent and got back.
 */
class MetricsIT {
    private static final int PAYMENTS = 300;
    private static final int REPLAYS = 20;
    private static final int CONFLICTS = 5;
    /** Requests in flight at once: a little load, well under every queue's bound (nothing is shed). */
    private static final int CONCURRENCY = 20;

    private static LocalInfra infra;
    private static Vertx sandboxVertx;
    private static Vertx gatewayVertx;
    private static Vertx processorVertx;
    private static Gateway gateway;
    private static Processor processor;
    private static Pg pg;
    private static String apiKey;
    private static int gatewayPort;
    private static int processorPort;
    private static final HttpClient http = HttpClient.newHttpClient();

    /** Answers the test got, by kind. */
    private static int firstAccepted;

    private static int replayed;
    private static int replayed202;
    private static int keyReused;

    @BeforeAll
    static void start() throws Exception {
        infra = LocalInfra.start(0, 0);
        sandboxVertx = Vertx.vertx();
        int sandboxPort = FreePorts.pick();
        ProviderStack.await(sandboxVertx.deployVerticle(new SandboxProvider(
                "127.0.0.1", sandboxPort, infra.pgUri(), ProviderStack.SECRET, SandboxFaults.NONE)));
        startGateway();
        apiKey = TenantKeys.create(infra.pgUri(), "default");
        startProcessor(sandboxPort);
        pg = new Pg(sandboxVertx, infra.pgUri());
        sendTheLoad();
    }

    /** In a Vert.x of its own built with its meters, as GatewayMain builds it. */
    private static void startGateway() throws Exception {
        ServiceMetrics gatewayMetrics = new ServiceMetrics();
        gatewayVertx = ServiceMetrics.vertx(new VertxOptions().setEventLoopPoolSize(2), gatewayMetrics);
        gatewayPort = FreePorts.pick();
        gateway = ProviderStack.await(Gateway.deploy(
                gatewayVertx,
                GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                        "http.port", String.valueOf(gatewayPort),
                        "http.host", "127.0.0.1",
                        "pg.uri", infra.pgUri(),
                        "kafka.bootstrap.servers", infra.kafkaBootstrap()))),
                BatchFaults.NONE,
                gatewayMetrics));
    }

    /** In a Vert.x of its own built with its meters, as ProcessorMain builds it. */
    private static void startProcessor(int sandboxPort) throws Exception {
        ServiceMetrics processorMetrics = new ServiceMetrics();
        processorVertx = ServiceMetrics.vertx(new VertxOptions(), processorMetrics);
        processorPort = FreePorts.pick();
        Map<String, String> p = new HashMap<>();
        p.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        p.put("pg.uri", infra.pgUri());
        p.put("provider.kind", "stripe");
        p.put("provider.baseUrl", "http://127.0.0.1:" + sandboxPort);
        p.put("provider.secretKey", ProviderStack.SECRET);
        p.put("processor.httpHost", "127.0.0.1");
        p.put("processor.httpPort", String.valueOf(processorPort));
        p.put("reconcile.intervalMs", "0");
        p.put("reconcile.stuckAfterMs", "60000");
        p.put("processor.stuckCheckMs", "500");
        processor = ProviderStack.await(Processor.deploy(
                processorVertx, ProcessorConfig.from(LocalInfra.singleBrokerSettings(p)), null, processorMetrics));
    }

    /** First acceptances, replays and reused keys, counted; then a payment stuck for the stuck gauge. */
    private static void sendTheLoad() throws Exception {
        // First requests, CONCURRENCY at a time.
        for (int from = 0; from < PAYMENTS; from += CONCURRENCY) {
            List<CompletableFuture<HttpResponse<String>>> wave = new ArrayList<>();
            for (int i = from; i < Math.min(PAYMENTS, from + CONCURRENCY); i++) {
                wave.add(pay("m-" + i, 1_000 + i));
            }
            for (CompletableFuture<HttpResponse<String>> f : wave) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                firstAccepted++;
            }
        }
        // The same requests again: replays (202 while pending, 200 once decided).
        for (int i = 0; i < REPLAYS; i++) {
            HttpResponse<String> r = pay("m-" + i, 1_000 + i).get(60, TimeUnit.SECONDS);
            assertThat(r.headers().firstValue("Idempotent-Replayed")).contains("true");
            replayed++;
            if (r.statusCode() == 202) {
                replayed202++;
            }
        }
        // A used key with another amount: 422.
        for (int i = 0; i < CONFLICTS; i++) {
            HttpResponse<String> r = pay("m-" + (PAYMENTS - 1 - i), 7).get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            keyReused++;
        }
        assertThat(pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", PAYMENTS, 120_000))
                .isEqualTo(PAYMENTS);
        // One payment stuck in charging for an hour, for the stuck gauge to find.
        pg.count("""
                WITH s AS (
                  INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                    customer_id, payment_method, status, source_partition, source_offset, accepted_at, created_at)
                  VALUES ('default', 'stuck-1', 'pay_metrics_stuck_1', 'h', 100, 'USD', 'cus_1', 'pm_card_visa',
                    'charging', 0, 0, now() - interval '1 hour', now() - interval '1 hour')
                  RETURNING 1)
                SELECT count(*) FROM s""");
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        if (gateway != null) {
            ProviderStack.await(gateway.close());
        }
        for (Vertx v : new Vertx[] {processorVertx, gatewayVertx, sandboxVertx}) {
            if (v != null) {
                ProviderStack.await(v.close());
            }
        }
        if (infra != null) {
            infra.close();
        }
    }

    @Test
    void theGatewaysScrapeIsValidAndItsCountersAgreeWithWhatWasSent() throws Exception {
        String scrape = scrape(gateway.managementPort());
        promtoolAccepts(scrape);

        assertThat(value(scrape, "gateway_payments_accepted_total")).isEqualTo(firstAccepted);
        assertThat(value(scrape, "gateway_payments_replayed_total")).isEqualTo(replayed);
        assertThat(value(scrape, "gateway_payments_conflicts_total", "kind", "key_reused"))
                .isEqualTo(keyReused);
        assertThat(value(scrape, "gateway_requests_shed_total")).isZero();
        assertThat(value(scrape, "gateway_transactions_aborted_total")).isZero();
        // Requests by route and status (Vert.x's meters), and their latency as a histogram.
        String requests = scrape.lines()
                .filter(l -> l.startsWith("vertx_http_server_requests_total{"))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertThat(value(scrape, "vertx_http_server_requests_total", "route", "/v1/payments", "code", "202"))
                .as(requests)
                .isEqualTo(firstAccepted + replayed202);
        assertThat(value(scrape, "vertx_http_server_requests_total", "route", "/v1/payments", "code", "422"))
                .isEqualTo(keyReused);
        assertThat(value(
                        scrape,
                        "vertx_http_server_response_time_seconds_count",
                        "route",
                        "/v1/payments",
                        "code",
                        "202"))
                .isEqualTo(firstAccepted + replayed202);
        assertThat(scrape).contains("vertx_http_server_response_time_seconds_bucket{");
        // Every request that reached a lane went through a batch; at least one batch committed each.
        assertThat(value(scrape, "gateway_batch_size_records_sum")).isEqualTo(firstAccepted + replayed + keyReused);
        assertThat(scrape).contains("gateway_batch_size_records_bucket{");
        assertThat(value(scrape, "gateway_transaction_commit_seconds_count")).isPositive();
        assertThat(value(scrape, "gateway_batch_linger_seconds_count"))
                .isEqualTo(value(scrape, "gateway_batch_size_records_count"));
        assertThat(scrape).containsPattern("(?m)^gateway_queue_records\\{lane=\"0\"} ");
        jvmAndVertxMetersArePresent(scrape);
    }

    @Test
    void theProcessorsScrapeIsValidAndItsCountersAgreeWithWhatWasSent() throws Exception {
        // The stuck payment is found by a periodic check, and the partitions' lag by a periodic look
        // at the consumer's metrics: wait for both.
        long deadline = System.currentTimeMillis() + 60_000;
        String scrape = scrape(processorPort);
        while ((stuckCharging(scrape) != 1 || !scrape.contains("kafka_consumer_fetch_manager_records_lag{"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            scrape = scrape(processorPort);
        }
        promtoolAccepts(scrape);

        assertThat(value(scrape, "processor_records_total")).isEqualTo(PAYMENTS);
        assertThat(value(scrape, "processor_outcomes_emitted_total")).isEqualTo(PAYMENTS);
        assertThat(value(scrape, "processor_duplicates_total")).isZero();
        assertThat(value(scrape, "processor_conflicts_total")).isZero();
        assertThat(value(scrape, "processor_dead_letters_total")).isZero();
        assertThat(value(scrape, "provider_request_seconds_count", "result", "answered"))
                .isEqualTo(PAYMENTS);
        // Every call is timed once, answered or retried (the sandbox may answer 429 under load).
        assertThat(value(scrape, "provider_calls_total")).isEqualTo(value(scrape, "provider_request_seconds_count"));
        assertThat(value(scrape, "provider_retried_total"))
                .isEqualTo(value(scrape, "provider_request_seconds_count", "result", "retry")
                        + value(scrape, "provider_request_seconds_count", "result", "io_error"));
        assertThat(value(scrape, "processor_transaction_commit_seconds_count"))
                .isEqualTo(value(scrape, "processor_batches_committed_total"))
                .isPositive();
        assertThat(value(scrape, "processor_payments_stuck", "status", "charging"))
                .as("the one payment left in charging for an hour")
                .isEqualTo(1);
        // Lag per partition of payments.billing, all consumed.
        assertThat(scrape)
                .containsPattern("(?m)^kafka_consumer_fetch_manager_records_lag\\{[^}]*partition=\"\\d+\"[^}]*"
                        + "topic=\"payments\\.billing\"[^}]*} 0\\.0$");
        jvmAndVertxMetersArePresent(scrape);
    }

    /** The stuck gauge for charging, 0 until its first check has run. */
    private static double stuckCharging(String scrape) {
        return Series.find(scrape, "processor_payments_stuck", "status", "charging")
                .orElse(0);
    }

    private static void jvmAndVertxMetersArePresent(String scrape) {
        for (String name : List.of(
                "jvm_memory_used_bytes{",
                "jvm_gc_",
                "jvm_threads_live_threads ",
                "process_cpu_usage ",
                "jvm_classes_loaded_classes ",
                "vertx_pool_",
                "netty_eventexecutor_tasks_pending")) {
            assertThat(scrape).as(name).contains(name);
        }
    }

    private static CompletableFuture<HttpResponse<String>> pay(String key, long amount) {
        String body = new JsonObject()
                .put("amount", amount)
                .put("currency", "USD")
                .put("customer_id", "cus_1")
                .put("payment_method", "pm_card_visa")
                .encode();
        return http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1/payments"))
                        .header("Authorization", "Bearer " + apiKey)
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("text/plain; version=0.0.4; charset=utf-8");
        // Kept for whoever reads a failure: target/metrics-<port>.txt.
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "metrics-" + port + ".txt"), r.body());
        return r.body();
    }

    /** {@code promtool check metrics} on {@code scrape}: no error, no lint problem. */
    private static void promtoolAccepts(String scrape) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics")
                    .redirectErrorStream(true)
                    .start();
        } catch (java.io.IOException e) {
            throw new AssertionError(
                    "promtool is not installed: apt-get install -y prometheus (.ci/run installs it)", e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream o = p.getInputStream()) {
            o.transferTo(out);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("promtool check metrics: %s", out.toString(StandardCharsets.UTF_8))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isBlank();
    }

    /**
     * The sum of the samples of {@code name} whose labels include {@code labels} (name, value, ...);
     * fails when there is none, so a check for 0 cannot pass on a series that disappeared.
     */
    static double value(String scrape, String name, String... labels) {
        return Series.sample(scrape, name, labels);
    }
}
