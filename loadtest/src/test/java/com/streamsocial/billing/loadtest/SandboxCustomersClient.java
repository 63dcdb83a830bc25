package com.streamsocial.billing.loadtest;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** Test support: makes a tenant's customer and saved cards in the sandbox, as the platform does at Stripe. */
final class SandboxCustomersClient {
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String secretKey;

    SandboxCustomersClient(int sandboxPort, String secretKey) {
        this.base = "http://127.0.0.1:" + sandboxPort;
        this.secretKey = secretKey;
    }

    /** A new customer with {@code metadata[tenant]=tenant}: its id. */
    String customer(String tenant) throws Exception {
        return post("/v1/customers", "metadata[tenant]=" + URLEncoder.encode(tenant, StandardCharsets.UTF_8))
                .getString("id");
    }

    /** Attaches a new card made from {@code token} ({@code pm_card_visa}) to {@code customer}: its id. */
    String attach(String token, String customer) throws Exception {
        return post("/v1/payment_methods/" + token + "/attach", "customer=" + customer)
                .getString("id");
    }

    private JsonObject post(String path, String form) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + secretKey)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }
}
