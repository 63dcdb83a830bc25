package com.streamsocial.billing.gateway.it;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.stack.LocalInfra;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A gateway instance in the test's JVM on the shared infrastructure, and the payment POST the ITs send it. */
final class InProcessGateways {
    private static final HttpClient http = HttpClient.newHttpClient();

    private InProcessGateways() {}

    /** Instance {@code instance} with {@code producers} lanes on 127.0.0.1:{@code port}, no faults. */
    static Gateway deploy(Vertx vertx, LocalInfra infra, String instance, int port, int producers) throws Exception {
        return Gateway.deploy(
                        vertx,
                        GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                                "http.port", String.valueOf(port),
                                "http.host", "127.0.0.1",
                                "gateway.instanceId", instance,
                                "gateway.producers", String.valueOf(producers),
                                "pg.uri", infra.pgUri(),
                                "kafka.bootstrap.servers", infra.kafkaBootstrap()))),
                        BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(90, TimeUnit.SECONDS);
    }

    /** {@code POST /v1/payments} of {@code r} to the gateway at {@code base}, under {@code r}'s key. */
    static HttpResponse<String> post(String base, String apiKey, PaymentRequest r) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                        .header("Authorization", "Bearer " + apiKey)
                        .header("Idempotency-Key", r.idempotencyKey())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject(r.canonical()).encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
