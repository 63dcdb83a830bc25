package com.streamsocial.billing.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/** Test support: a tenant's blocking calls to the gateway's API, JSON under its bearer key. */
final class TenantApi {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TenantApi() {}

    /** {@code POST base + path} with {@code body}; an {@code Idempotency-Key} only when {@code key} is not null. */
    static HttpResponse<String> post(String base, String apiKey, String path, String key, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A payment in USD of {@code customer} with {@code method}, under idempotency key {@code key}. */
    static HttpResponse<String> pay(String base, String apiKey, String key, long amount, String customer, String method)
            throws Exception {
        return post(
                base,
                apiKey,
                "/v1/payments",
                key,
                new JsonObject()
                        .put("amount", amount)
                        .put("currency", "USD")
                        .put("customer_id", customer)
                        .put("payment_method", method)
                        .encode());
    }

    /** {@code POST /v1/customers}: registers {@code customer} and {@code methods} for the key's tenant. */
    static HttpResponse<String> register(String base, String apiKey, String customer, List<String> methods)
            throws Exception {
        return post(
                base,
                apiKey,
                "/v1/customers",
                null,
                new JsonObject()
                        .put("customer_id", customer)
                        .put("payment_methods", new JsonArray(methods))
                        .encode());
    }
}
