package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.gateway.webhook.StripeSignature;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import com.streamsocial.billing.stack.sandbox.SandboxWebhooks;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds the committed OpenAPI document ({@code gateway/src/main/resources/openapi.json}) to the real
 * gateway on a real Kafka and PostgreSQL: every documented answer (route and status) is produced and
 * its status, media type, required headers and body are validated against the document's schemas;
 * an answer the document lacks fails; so does a router route the document lacks.
 */
class OpenApiIT {
    /**
     * Documented answers this test does not produce, each with why: the 429s need a tenant over its
     * rate (LimitsIT produces them), the 503s PostgreSQL or Kafka down, which the shared infra is not.
     */
    private static final Set<String> NOT_PRODUCED_HERE = Set.of(
            "POST /v1/payments 429", // LimitsIT
            "POST /v1/customers 429", // LimitsIT's bucket, as for payments
            "POST /v1/customers 422", // the provider refuses it (CustomerVerificationIT)
            "POST /v1/customers 503", // PostgreSQL or the provider down (CustomerVerificationIT)
            "GET /v1/payments/{id} 429",
            "GET /v1/payments/{id} 503", // PostgreSQL down
            "GET /health/ready 503", // Kafka or PostgreSQL down
            "POST /v1/webhooks/stripe 503", // PostgreSQL or Kafka down (WebhookIT)
            "POST /v1/webhooks/paypal 503", // PayPal's verification slow or down (WebhookIT)
            "POST /v1/payments/{id}/refunds 429", // the write bucket, as for payments (LimitsIT)
            "POST /v1/payments/{id}/refunds 503", // PostgreSQL or Kafka down
            "GET /v1/payments/{id}/refunds/{refund_id} 429",
            "GET /v1/payments/{id}/refunds/{refund_id} 503"); // PostgreSQL down

    /** The main gateway's PayPal webhook id, verified by {@link #paypalSandbox}; the tiny one has none. */
    private static final String PAYPAL_WEBHOOK_ID = "WH-openapi-it";

    private static SandboxProvider paypalSandbox;

    /** The main gateway's Stripe webhook secret; the tiny one has none (its endpoint is off). */
    private static final String WEBHOOK_SECRET = "whsec_openapi_it";

    private static final HttpClient http = HttpClient.newHttpClient();
    /** A real key of tenant {@code default}, made in the shared PostgreSQL at start. */
    private static String BEARER;

    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static Gateway tiny;
    private static String base;
    private static String tinyBase;
    private static Pool pg;
    private static JsonObject doc;
    private static JsonObject schemaDefs;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        BEARER = "Bearer " + TenantKeys.create(infra.pgUri(), "default");
        vertx = Vertx.vertx();
        paypalSandbox = new SandboxProvider(
                "127.0.0.1", FreePorts.pick(), infra.pgUri(), "sk_test_openapi_it", SandboxFaults.NONE);
        vertx.deployVerticle(paypalSandbox).await();
        int port = FreePorts.pick();
        gateway = Gateway.deploy(
                        vertx,
                        config(
                                port,
                                "gateway-openapi",
                                Map.of(
                                        "webhook.stripe.secret",
                                        WEBHOOK_SECRET,
                                        "webhook.bodyBytesMax",
                                        "1024",
                                        "webhook.paypal.webhookId",
                                        PAYPAL_WEBHOOK_ID,
                                        "webhook.paypal.baseUrl",
                                        "http://127.0.0.1:" + paypalSandbox.port(),
                                        "webhook.paypal.clientId",
                                        "sandbox-client-id",
                                        "webhook.paypal.clientSecret",
                                        "sandbox-client-secret")),
                        BatchFaults.NONE)
                .await();
        base = "http://127.0.0.1:" + port;
        // One lane that queues two requests at most: a burst gets 503s.
        int tinyPort = FreePorts.pick();
        tiny = Gateway.deploy(
                        vertx,
                        config(
                                tinyPort,
                                "gateway-openapi-tiny",
                                Map.of("gateway.batchRecordsMax", "2", "gateway.queueRecordsMax", "2")),
                        BatchFaults.NONE)
                .await();
        tinyBase = "http://127.0.0.1:" + tinyPort;
        pg = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        try (InputStream in = OpenApiIT.class.getClassLoader().getResourceAsStream("openapi.json")) {
            doc = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        // The document's schemas as one 2020-12 schema resource: components/schemas become $defs.
        schemaDefs = new JsonObject(
                        doc.getJsonObject("components").encode().replace("#/components/schemas/", "#/$defs/"))
                .getJsonObject("schemas");
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().await();
        }
        if (tiny != null) {
            tiny.close().await();
        }
        if (pg != null) {
            pg.close().await();
        }
        vertx.close().await();
    }

    private static GatewayConfig config(int port, String instanceId, Map<String, String> extra) {
        Map<String, String> s = new java.util.HashMap<>(Map.of(
                "http.port",
                String.valueOf(port),
                "http.host",
                "127.0.0.1",
                "gateway.instanceId",
                instanceId,
                "gateway.producers",
                "1",
                "pg.uri",
                infra.pgUri(),
                "kafka.bootstrap.servers",
                infra.kafkaBootstrap()));
        // Its registrations' ids are no provider's: CustomerVerificationIT verifies with the sandbox.
        s.put("gateway.ownership.verifyWithProvider", "false");
        s.putAll(extra);
        return GatewayConfig.from(LocalInfra.singleBrokerSettings(s));
    }

    @Test
    void everyRouteOfTheRouterIsDocumented() {
        List<String> routes = gateway.routes();
        assertThat(routes).isNotEmpty();
        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' ')).toLowerCase(Locale.ROOT);
            String path = route.substring(route.indexOf(' ') + 1);
            assertThat(doc.getJsonObject("paths").getJsonObject(path))
                    .as("the router has %s, the OpenAPI document has no such path", route)
                    .isNotNull();
            assertThat(doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method))
                    .as("the router has %s, the OpenAPI document has no such operation", route)
                    .isNotNull();
        }
        // And the other way: every documented operation is routed.
        doc.getJsonObject("paths")
                .forEach(p -> ((JsonObject) p.getValue())
                        .fieldNames()
                        .forEach(m -> assertThat(routes).contains(m.toUpperCase(Locale.ROOT) + " " + p.getKey())));
    }

    @Test
    void everyDocumentedAnswerIsWhatTheGatewaySends() throws Exception {
        Set<String> seen = new TreeSet<>();
        String run = "openapi-" + Long.toString(System.nanoTime(), 36) + "-";

        // 202, then a replay while pending (202 + Idempotent-Replayed), 422 with another body.
        PaymentRequest accepted = request(run + "accepted", 1999);
        seen.add(check(
                "POST", "/v1/payments", post(base, accepted.idempotencyKey(), "application/json", body(accepted))));
        HttpResponse<String> replayPending = post(base, accepted.idempotencyKey(), "application/json", body(accepted));
        assertThat(replayPending.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        seen.add(check("POST", "/v1/payments", replayPending));
        seen.add(check(
                "POST",
                "/v1/payments",
                post(base, accepted.idempotencyKey(), "application/json", body(request(run + "accepted", 2999)))));
        seen.add(check("GET", "/v1/payments/{id}", get(base + "/v1/payments/" + accepted.paymentId(), true)));

        // 200: replays of final payments, as the processor records them (one succeeded, one failed).
        for (String outcome : List.of("succeeded", "failed")) {
            PaymentRequest r = request(run + outcome, 500);
            assertThat(post(base, r.idempotencyKey(), "application/json", body(r))
                            .statusCode())
                    .isEqualTo(202);
            recordOutcome(r, outcome);
            HttpResponse<String> replay = post(base, r.idempotencyKey(), "application/json", body(r));
            assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
            seen.add(check("POST", "/v1/payments", replay));
            HttpResponse<String> got = get(base + "/v1/payments/" + r.paymentId(), true);
            assertThat(new JsonObject(got.body()).getString("status")).isEqualTo(outcome);
            seen.add(check("GET", "/v1/payments/{id}", got));
        }

        // 409: the key is reserved by a request still in flight (on another instance).
        PaymentRequest inFlight = request(run + "in-flight", 700);
        reserve(inFlight);
        seen.add(check(
                "POST", "/v1/payments", post(base, inFlight.idempotencyKey(), "application/json", body(inFlight))));

        // 400 (no key; a wrong type), 413, 415.
        seen.add(check("POST", "/v1/payments", post(base, null, "application/json", body(request(run + "x", 1)))));
        seen.add(check(
                "POST",
                "/v1/payments",
                post(base, run + "bad", "application/json", "{\"amount\":\"1999\",\"currency\":\"USD\"}")));
        seen.add(check(
                "POST",
                "/v1/payments",
                post(base, run + "big", "application/json", "{\"a\":\"" + "x".repeat(17_000) + "\"}")));
        seen.add(check("POST", "/v1/payments", post(base, run + "text", "text/plain", body(request(run + "t", 1)))));

        // 503: a burst on the tiny gateway is shed.
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            PaymentRequest r = request(run + "burst-" + i, 10 + i);
            burst.add(http.sendAsync(
                    postRequest(tinyBase, r.idempotencyKey(), "application/json", body(r)),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : burst) {
            seen.add(check("POST", "/v1/payments", f.get(60, TimeUnit.SECONDS)));
        }
        assertThat(seen)
                .as("a queue of two cannot hold 100 concurrent requests")
                .contains("POST /v1/payments 503");

        // 401: no key, and a key that does not exist.
        seen.add(check(
                "POST",
                "/v1/payments",
                http.send(
                        HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                                .header("Authorization", "Bearer sk_live_not_a_key")
                                .header("Content-Type", "application/json")
                                .header("Idempotency-Key", run + "unauthenticated")
                                .POST(HttpRequest.BodyPublishers.ofString(body(request(run + "u", 1))))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())));
        seen.add(check("GET", "/v1/payments/{id}", get(base + "/v1/payments/" + accepted.paymentId(), false)));

        // POST /v1/customers: 201, 200 again, 409 for another tenant (whose payment with that customer
        // is 422 customer-not-owned), 400, 413, 415, 401.
        String cus = "cus_openapi_" + Long.toString(System.nanoTime(), 36);
        String registration = "{\"customer_id\":\"" + cus + "\",\"payment_methods\":[\"pm_" + cus + "\"]}";
        assertThat(check("POST", "/v1/customers", register(BEARER, "application/json", registration)))
                .endsWith(" 201");
        seen.add("POST /v1/customers 201");
        seen.add(check("POST", "/v1/customers", register(BEARER, "application/json", registration)));
        String other =
                "Bearer " + TenantKeys.create(infra.pgUri(), "openapi-other-" + Long.toString(System.nanoTime(), 36));
        seen.add(check("POST", "/v1/customers", register(other, "application/json", registration)));
        HttpResponse<String> notOwned = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                        .header("Authorization", other)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", run + "not-owned")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"amount\":100,\"currency\":\"EUR\",\"customer_id\":\"" + cus
                                        + "\",\"payment_method\":\"pm_card_visa\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(check("POST", "/v1/payments", notOwned)).endsWith(" 422");
        seen.add(check("POST", "/v1/customers", register(BEARER, "application/json", "{\"customer_id\":\"\"}")));
        seen.add(check(
                "POST",
                "/v1/customers",
                register(BEARER, "application/json", "{\"customer_id\":\"" + "x".repeat(9_000) + "\"}")));
        seen.add(check("POST", "/v1/customers", register(BEARER, "text/plain", registration)));
        seen.add(
                check("POST", "/v1/customers", register("Bearer sk_live_not_a_key", "application/json", registration)));

        // 404 for an id never accepted; the unauthenticated routes.
        seen.add(check("GET", "/v1/payments/{id}", get(base + "/v1/payments/pay_" + "0".repeat(32), true)));
        seen.add(check("GET", "/health/live", get(base + "/health/live", false)));
        seen.add(check("GET", "/health/ready", get(base + "/health/ready", false)));
        webhookAnswers(seen, run);
        refundAnswers(seen, run);
        HttpResponse<String> served = get(base + "/openapi.json", false);
        seen.add(check("GET", "/openapi.json", served));
        assertThat(new JsonObject(served.body()))
                .as("the served document is the committed one")
                .isEqualTo(doc);

        Set<String> documented = documentedAnswers();
        assertThat(documented).containsAll(NOT_PRODUCED_HERE);
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(seen);
        missing.removeAll(NOT_PRODUCED_HERE);
        assertThat(missing).as("documented answers this test never saw").isEmpty();
    }

    /**
     * The refund routes' answers: 202 (partial, then the rest), a pending replay, a decided replay (200),
     * the 422s (over the remainder, fully refunded, the key reused, a failed payment), 409 for a pending
     * payment, 404, 400, 413, 415, 401; GET of one refund and of the payment with its refunds.
     */
    private static void refundAnswers(Set<String> seen, String run) throws Exception {
        String path = "/v1/payments/{id}/refunds";
        PaymentRequest paid = request(run + "refunded", 500);
        assertThat(post(base, paid.idempotencyKey(), "application/json", body(paid))
                        .statusCode())
                .isEqualTo(202);
        recordOutcome(paid, "succeeded");
        String url = base + "/v1/payments/" + paid.paymentId() + "/refunds";
        HttpResponse<String> partial = refund(url, run + "r1", "application/json", "{\"amount\":200}");
        seen.add(check("POST", path, partial));
        assertThat(partial.statusCode()).as(partial.body()).isEqualTo(202);
        HttpResponse<String> replay = refund(url, run + "r1", "application/json", "{\"amount\":200}");
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        seen.add(check("POST", path, replay));
        seen.add(check("POST", path, refund(url, run + "r1", "application/json", "{\"amount\":201}")));
        HttpResponse<String> over = refund(url, run + "r2", "application/json", "{\"amount\":301}");
        assertThat(new JsonObject(over.body()).getString("type")).endsWith("/refund-exceeds-remainder");
        seen.add(check("POST", path, over));
        HttpResponse<String> rest = refund(url, run + "r3", null, "");
        assertThat(new JsonObject(rest.body()).getLong("amount")).isEqualTo(300L);
        seen.add(check("POST", path, rest));
        HttpResponse<String> full = refund(url, run + "r4", null, "");
        assertThat(new JsonObject(full.body()).getString("type")).endsWith("/payment-fully-refunded");
        seen.add(check("POST", path, full));
        String refundId = new JsonObject(partial.body()).getString("id");
        pg.preparedQuery("INSERT INTO refunds (refund_id, payment_id, tenant, request_hash, amount, currency, status,"
                        + " provider_ref, source_partition, source_offset, decided_at)"
                        + " VALUES ($1, $2, 'default', 'h', 200, 'EUR', 'succeeded', 're_provider', 0, 0, now())")
                .execute(Tuple.of(refundId, paid.paymentId()))
                .await();
        HttpResponse<String> decided = refund(url, run + "r1", "application/json", "{\"amount\":200}");
        assertThat(decided.statusCode()).isEqualTo(200);
        seen.add(check("POST", path, decided));
        HttpResponse<String> withRefunds = get(base + "/v1/payments/" + paid.paymentId(), true);
        assertThat(new JsonObject(withRefunds.body()).getLong("amount_refunded"))
                .isEqualTo(200L);
        assertThat(new JsonObject(withRefunds.body()).getJsonArray("refunds")).hasSize(2);
        seen.add(check("GET", "/v1/payments/{id}", withRefunds));
        String one = "/v1/payments/{id}/refunds/{refund_id}";
        seen.add(check("GET", one, get(url + "/" + refundId, true)));
        seen.add(check("GET", one, get(url + "/re_" + "0".repeat(32), true)));
        seen.add(check("GET", one, get(url + "/" + refundId, false)));
        refundRefusals(seen, run, url, path);
    }

    /** The refusals: a pending or failed payment, an unknown one, and bad requests to {@code url}. */
    private static void refundRefusals(Set<String> seen, String run, String url, String path) throws Exception {
        PaymentRequest pending = request(run + "refund-pending", 500);
        assertThat(post(base, pending.idempotencyKey(), "application/json", body(pending))
                        .statusCode())
                .isEqualTo(202);
        String pendingUrl = base + "/v1/payments/" + pending.paymentId() + "/refunds";
        seen.add(check("POST", path, refund(pendingUrl, run + "r5", null, "")));
        PaymentRequest failed = request(run + "refund-failed", 500);
        assertThat(post(base, failed.idempotencyKey(), "application/json", body(failed))
                        .statusCode())
                .isEqualTo(202);
        recordOutcome(failed, "failed");
        seen.add(check(
                "POST", path, refund(base + "/v1/payments/" + failed.paymentId() + "/refunds", run + "r6", null, "")));
        seen.add(check(
                "POST", path, refund(base + "/v1/payments/pay_" + "0".repeat(32) + "/refunds", run + "r7", null, "")));
        seen.add(check("POST", path, refund(url, null, null, "")));
        seen.add(check("POST", path, refund(url, run + "r8", "application/json", "{\"amount\":0}")));
        seen.add(check(
                "POST",
                path,
                refund(url, run + "r9", "application/json", "{\"reason\":\"" + "x".repeat(2_000) + "\"}")));
        seen.add(check("POST", path, refund(url, run + "r10", "text/plain", "{}")));
        seen.add(check(
                "POST",
                path,
                http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Authorization", "Bearer sk_live_not_a_key")
                                .header("Idempotency-Key", run + "r11")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString())));
    }

    private static HttpResponse<String> refund(String url, String key, String contentType, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", BEARER)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Stripe webhook's answers: taken, a duplicate, refused, too large, not JSON, and off. */
    private static void webhookAnswers(Set<String> seen, String run) throws Exception {
        String path = "/v1/webhooks/stripe";
        byte[] event = ("{\"id\":\"evt_" + run + "\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\","
                        + "\"data\":{\"object\":{\"id\":\"pi_" + run + "\",\"object\":\"payment_intent\"}}}")
                .getBytes(StandardCharsets.UTF_8);
        String signed = StripeSignature.header(event, WEBHOOK_SECRET, System.currentTimeMillis() / 1_000);
        seen.add(check("POST", path, webhook(base, event, signed, "application/json")));
        seen.add(check("POST", path, webhook(base, event, signed, "application/json")));
        seen.add(check("POST", path, webhook(base, event, signed.replace("v1=", "v1=0"), "application/json")));
        seen.add(check("POST", path, webhook(base, new byte[2 * 1024], signed, "application/json")));
        seen.add(check("POST", path, webhook(base, event, signed, "text/plain")));
        seen.add(check("POST", path, webhook(tinyBase, event, signed, "application/json")));
        paypalWebhookAnswers(seen, run);
    }

    /** The PayPal webhook's answers: taken, a duplicate, refused, too large, not JSON, and off. */
    private static void paypalWebhookAnswers(Set<String> seen, String run) throws Exception {
        String path = "/v1/webhooks/paypal";
        JsonObject event = SandboxWebhooks.paypalEvent("WH-" + run, "PAYMENT.CAPTURE.COMPLETED", "CAP-" + run, null);
        byte[] body = event.encode().getBytes(StandardCharsets.UTF_8);
        String tx = "tx-openapi-" + run;
        String time = "2026-12-07T07:00:00Z";
        String sig = SandboxWebhooks.paypalSignature(tx, time, PAYPAL_WEBHOOK_ID, event);
        seen.add(check("POST", path, paypal(base, body, tx, time, sig, "application/json")));
        seen.add(check("POST", path, paypal(base, body, tx, time, sig, "application/json")));
        seen.add(check("POST", path, paypal(base, body, tx, time, "A" + sig.substring(1), "application/json")));
        seen.add(check("POST", path, paypal(base, new byte[2 * 1024], tx, time, sig, "application/json")));
        seen.add(check("POST", path, paypal(base, body, tx, time, sig, "text/plain")));
        seen.add(check("POST", path, paypal(tinyBase, body, tx, time, sig, "application/json")));
    }

    private static HttpResponse<String> paypal(
            String to, byte[] body, String tx, String time, String sig, String contentType) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(to + "/v1/webhooks/paypal"))
                        .header("Content-Type", contentType)
                        .header("PAYPAL-TRANSMISSION-ID", tx)
                        .header("PAYPAL-TRANSMISSION-TIME", time)
                        .header("PAYPAL-TRANSMISSION-SIG", sig)
                        .header("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT")
                        .header("PAYPAL-AUTH-ALGO", "SHA256withRSA")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> webhook(String to, byte[] body, String signature, String contentType)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(to + "/v1/webhooks/stripe"))
                        .header("Content-Type", contentType)
                        .header("Stripe-Signature", signature)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Validates one answer against the document; returns "METHOD /path status". */
    private static String check(String method, String path, HttpResponse<String> r) {
        String answer = method + " " + path + " " + r.statusCode();
        JsonObject op = doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method.toLowerCase(Locale.ROOT));
        JsonObject documented = op.getJsonObject("responses").getJsonObject(String.valueOf(r.statusCode()));
        if (documented == null) {
            fail("undocumented answer %s: %s", answer, r.body());
        }
        String mediaType =
                r.headers().firstValue("content-type").orElse("").split(";")[0].trim();
        JsonObject content = documented.getJsonObject("content");
        assertThat(content.fieldNames()).as("media type of %s", answer).contains(mediaType);
        JsonObject headers = documented.getJsonObject("headers", new JsonObject());
        for (String name : headers.fieldNames()) {
            JsonObject h = resolve(headers.getJsonObject(name));
            var value = r.headers().firstValue(name);
            if (h.getBoolean("required", false)) {
                assertThat(value).as("header %s of %s", name, answer).isPresent();
            }
            value.ifPresent(v -> validate(h.getJsonObject("schema"), v, answer + " header " + name));
        }
        JsonObject schema = content.getJsonObject(mediaType).getJsonObject("schema");
        Object body = mediaType.endsWith("json") ? new JsonObject(r.body()) : r.body();
        validate(schema, body, answer);
        return answer;
    }

    private static void validate(JsonObject schema, Object instance, String what) {
        JsonObject withDefs =
                new JsonObject(schema.encode().replace("#/components/schemas/", "#/$defs/")).put("$defs", schemaDefs);
        OutputUnit out = Validator.create(
                        JsonSchema.of(withDefs),
                        new JsonSchemaOptions()
                                .setDraft(Draft.DRAFT202012)
                                .setBaseUri("https://billing.streamsocial.dev/")
                                .setOutputFormat(OutputFormat.Basic))
                .validate(instance);
        if (!out.getValid()) {
            fail("%s does not match the OpenAPI document: %s%n%s", what, out.getErrors(), instance);
        }
    }

    private static JsonObject resolve(JsonObject maybeRef) {
        String ref = maybeRef.getString("$ref");
        if (ref == null) {
            return maybeRef;
        }
        JsonObject at = doc;
        for (String part : ref.substring(2).split("/")) {
            at = at.getJsonObject(part);
        }
        return at;
    }

    private static Set<String> documentedAnswers() {
        Set<String> out = new TreeSet<>();
        doc.getJsonObject("paths")
                .forEach(p -> ((JsonObject) p.getValue())
                        .forEach(op -> ((JsonObject) op.getValue())
                                .getJsonObject("responses")
                                .fieldNames()
                                .forEach(status -> out.add(
                                        op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey() + " " + status))));
        return out;
    }

    private static PaymentRequest request(String key, long amount) {
        return PaymentRequest.of(
                "default", key, amount, "EUR", "cus_openapi", "pm_card_visa", "openapi", Map.of("order", "o-1"));
    }

    private static String body(PaymentRequest r) {
        return new JsonObject(r.canonical()).encode();
    }

    /** What the processor records when the provider answers (its ledger row). */
    private static void recordOutcome(PaymentRequest r, String status) {
        pg.preparedQuery(
                        "INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,"
                                + " customer_id, payment_method, status, failure_code, source_partition, source_offset,"
                                + " accepted_at, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, now(), now())")
                .execute(Tuple.tuple()
                        .addString(r.tenant())
                        .addString(r.idempotencyKey())
                        .addString(r.paymentId())
                        .addString(r.fingerprint())
                        .addLong(r.amount())
                        .addString(r.currency())
                        .addString(r.customerId())
                        .addString(r.paymentMethod())
                        .addString(status)
                        .addString(status.equals("failed") ? "card_declined" : null))
                .await();
    }

    /** A reservation as another instance's lane holds it while its transaction is open. */
    private static void reserve(PaymentRequest r) {
        pg.preparedQuery("INSERT INTO payment_intents (payment_id, tenant, idempotency_key, request_hash, request,"
                        + " state, reserved_at, owner_instance, owner_lane, owner_run)"
                        + " VALUES ($1, $2, $3, $4, $5, 'reserved', now(), 'gateway-elsewhere',"
                        + " 'gateway-elsewhere-lane-0', 'its-run')")
                .execute(Tuple.of(r.paymentId(), r.tenant(), r.idempotencyKey(), r.fingerprint(), r.canonical()))
                .await();
    }

    private static HttpRequest postRequest(String to, String key, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to + "/v1/payments"))
                .header("Authorization", BEARER)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return b.build();
    }

    private static HttpResponse<String> register(String authorization, String contentType, String body)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/customers"))
                        .header("Authorization", authorization)
                        .header("Content-Type", contentType)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String to, String key, String contentType, String body) throws Exception {
        return http.send(postRequest(to, key, contentType, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url, boolean authenticated) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (authenticated) {
            b.header("Authorization", BEARER);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
