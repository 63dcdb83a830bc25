package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.contract.Settings;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.psp.ApproveAllProvider;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 10,000 distinct payments and 2,000 retries (half of them concurrent with their original) through
 * the real gateway and processor, on a fresh broker and database so that whole tables and topics can
 * be counted.
 */
class ExactlyOnceIT {
    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static Processor processor;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        infra = LocalInfra.start(0, 0);
        vertx = Vertx.vertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(100)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
        port = FreePorts.pick();
        Settings s = Settings.of(Map.of(
                "http.port", String.valueOf(port),
                "http.host", "127.0.0.1",
                "processor.httpPort", "-1",
                "pg.uri", infra.pgUri(),
                "kafka.bootstrap.servers", infra.kafkaBootstrap()));
        gateway = Gateway.deploy(vertx, GatewayConfig.from(s), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        processor = Processor.deploy(vertx, ProcessorConfig.from(s), new ApproveAllProvider())
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            processor.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        infra.close();
    }

    @Test
    void tenThousandPaymentsWithRetriesAreChargedRecordedAndPublishedOnce() throws Exception {
        LoadRunner.Report report = LoadRunner.run(
                        vertx,
                        new LoadRunner.Options(
                                "http://127.0.0.1:" + port, 10_000, 1_000, 1_000, 64, "eo-", "pm_card_visa"))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.MINUTES);
        System.out.println("ExactlyOnceIT load: " + report.summary());
        assertThat(report.violations()).isEmpty();
        assertThat(report.accepted()).isEqualTo(10_000);
        // Every sequential retry is a replay; a concurrent one is a replay or a 409.
        assertThat(report.replayed() + report.inFlight409()).isGreaterThanOrEqualTo(2_000);
        assertThat(report.requests()).isEqualTo(12_000 + report.unavailable503());

        try (Pg pg = new Pg(vertx, infra.pgUri())) {
            PipelineAssertions.assertExactlyOnce(pg, infra.kafkaBootstrap(), report.ids());
        }

        // Once recorded, GET and a replay both report the final status.
        HttpClient http = HttpClient.newHttpClient();
        String id = report.ids().get(4_242);
        HttpResponse<String> get = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/payments/" + id))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new JsonObject(get.body()).getString("status")).isEqualTo("succeeded");
        HttpResponse<String> replay = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/payments"))
                        .header("Idempotency-Key", "eo-4242")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                                .put("amount", 100 + 4242)
                                .put("currency", "USD")
                                .put("customer_id", "cus_242")
                                .put("payment_method", "pm_card_visa")
                                .put("description", "load 4242")
                                .put("metadata", new JsonObject().put("run", "eo-"))
                                .encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(new JsonObject(replay.body()).getString("status")).isEqualTo("succeeded");
    }
}
