package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
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
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(Map.of("provider.kind", "approve-all", "processor.httpPort", "-1"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    @Test
    void tenThousandPaymentsWithRetriesAreChargedRecordedAndPublishedOnce() throws Exception {
        LoadRunner.Report report = LoadRunner.run(
                        stack.vertx,
                        new LoadRunner.Options(
                                stack.baseUrl(), 10_000, 1_000, 1_000, 64, "eo-", "pm_card_visa", stack.apiKey))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.MINUTES);
        System.out.println("ExactlyOnceIT load: " + report.summary());
        assertThat(report.violations()).isEmpty();
        assertThat(report.accepted()).isEqualTo(10_000);
        // Every sequential retry is a replay; a concurrent one is a replay or a 409.
        assertThat(report.replayed() + report.inFlight409()).isGreaterThanOrEqualTo(2_000);
        assertThat(report.requests()).isEqualTo(12_000 + report.unavailable503());

        PipelineAssertions.assertExactlyOnce(stack.pg, stack.infra.kafkaBootstrap(), report.ids());

        // Once recorded, GET and a replay both report the final status.
        HttpClient http = HttpClient.newHttpClient();
        String id = report.ids().get(4_242);
        HttpResponse<String> get = http.send(
                HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/v1/payments/" + id))
                        .header("Authorization", "Bearer " + stack.apiKey)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new JsonObject(get.body()).getString("status")).isEqualTo("succeeded");
        HttpResponse<String> replay = http.send(
                HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/v1/payments"))
                        .header("Authorization", "Bearer " + stack.apiKey)
                        .header("Idempotency-Key", "eo-4242")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                                .put("amount", 100 + 4242)
                                .put("currency", "USD")
                                .put("customer_id", CustomerIds.of(stack.apiKey, 4_242 % 1_000))
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
