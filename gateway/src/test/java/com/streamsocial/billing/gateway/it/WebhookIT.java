package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.webhook.StripeSignature;
import com.streamsocial.billing.gateway.webhook.WebhookIntake;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import com.streamsocial.billing.stack.sandbox.SandboxWebhooks;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stripe and PayPal webhooks through a real gateway (2 lanes, each with its own producer) on real
 * Kafka and PostgreSQL, PayPal's verified by the sandbox's verify-webhook-signature API: a signed
 * event is recorded and published once however often and however concurrently it is delivered; every
 * hostile delivery gets its 4xx problem, is counted, and leaves nothing in PostgreSQL and nothing on
 * {@code payments.webhooks}, not even uncommitted; a slow or failing verification API gets a fast 503.
 */
class WebhookIT {
    private static final String SECRET = "whsec_webhook_it_current";
    private static final String OLD_SECRET = "whsec_webhook_it_rotated_out";
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final String PAYPAL_WEBHOOK_ID = "WH-webhook-it";
    private static final String PAYPAL_TIME = "2026-12-07T07:00:00Z";
    private static final long PAYPAL_VERIFY_TIMEOUT_MS = 1_000;
    private static SandboxProvider paypalSandbox;

    private static LocalInfra infra;
    private static Vertx vertx;
    private static Pool pg;
    private static Gateway gateway;
    private static String base;
    private static final String RUN = Long.toString(System.nanoTime(), 36);

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        vertx = Vertx.vertx();
        pg = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        // The PayPal verification API the gateway asks: a sandbox of the test's own.
        paypalSandbox = new SandboxProvider(
                "127.0.0.1", FreePorts.pick(), infra.pgUri(), "sk_test_webhook_it", SandboxFaults.NONE);
        vertx.deployVerticle(paypalSandbox).await();
        int port = FreePorts.pick();
        gateway = Gateway.deploy(
                        vertx,
                        GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.ofEntries(
                                Map.entry("http.port", String.valueOf(port)),
                                Map.entry("gateway.instanceId", "gateway-webhook-it"),
                                Map.entry("gateway.producers", "2"),
                                Map.entry("webhook.stripe.secret", SECRET + "," + OLD_SECRET),
                                Map.entry("webhook.bodyBytesMax", "8192"),
                                Map.entry("webhook.paypal.webhookId", PAYPAL_WEBHOOK_ID),
                                Map.entry("webhook.paypal.baseUrl", "http://127.0.0.1:" + paypalSandbox.port()),
                                Map.entry("webhook.paypal.clientId", "sandbox-client-id"),
                                Map.entry("webhook.paypal.clientSecret", "sandbox-client-secret"),
                                Map.entry("webhook.paypal.verifyTimeoutMs", String.valueOf(PAYPAL_VERIFY_TIMEOUT_MS)),
                                Map.entry("pg.uri", infra.pgUri()),
                                Map.entry("kafka.bootstrap.servers", infra.kafkaBootstrap())))),
                        BatchFaults.NONE)
                .await();
        base = "http://127.0.0.1:" + port;
        // The same sandbox sends PayPal's webhooks to this gateway, as PayPal would to its webhook.
        paypalSandbox.sendPayPalWebhooksTo(base + "/v1/webhooks/paypal", PAYPAL_WEBHOOK_ID);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close().await();
        }
        if (pg != null) {
            pg.close().await();
        }
        vertx.close().await();
    }

    private static byte[] event(String eventId, String type) {
        return new JsonObject()
                .put("id", eventId)
                .put("object", "event")
                .put("type", type)
                .put("created", System.currentTimeMillis() / 1_000)
                .put(
                        "data",
                        new JsonObject()
                                .put(
                                        "object",
                                        new JsonObject()
                                                .put("id", "pi_" + eventId)
                                                .put("object", "payment_intent")
                                                .put("metadata", new JsonObject().put("payment_id", "pay_" + eventId))))
                .encode()
                .getBytes(StandardCharsets.UTF_8);
    }

    private static long nowS() {
        return System.currentTimeMillis() / 1_000;
    }

    private static HttpResponse<String> deliver(byte[] body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/webhooks/stripe"))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            b.header("Stripe-Signature", signature);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Records of {@code eventId} on payments.webhooks, committed only or every one written. */
    private static List<ConsumerRecord<String, byte[]>> published(String eventId, boolean committedOnly) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(infra.kafkaBootstrap(), Topics.WEBHOOKS, committedOnly)) {
            Header h = r.headers().lastHeader(WebhookIntake.HEADER_EVENT_ID);
            if (h != null && new String(h.value(), StandardCharsets.UTF_8).equals(eventId)) {
                out.add(r);
            }
        }
        return out;
    }

    private static long rows(String eventId) {
        return rows("stripe", eventId);
    }

    /** The rows {@code webhook_events} holds for one provider's event id. */
    private static long rows(String provider, String eventId) {
        return pg.preparedQuery("SELECT count(*) FROM webhook_events WHERE provider = $1 AND event_id = $2")
                .execute(Tuple.of(provider, eventId))
                .await()
                .iterator()
                .next()
                .getLong(0);
    }

    private static double counted(String outcome) {
        return counted("stripe", outcome);
    }

    private static double counted(String provider, String outcome) {
        return Series.counter(gateway.metrics(), "gateway.webhooks", "provider", provider, "outcome", outcome);
    }

    @Test
    void aSignedEventDeliveredThreeTimesIsAcceptedOnceAndPublishedOnce() throws Exception {
        String id = "evt_seq_" + RUN;
        byte[] body = event(id, "payment_intent.succeeded");
        double acceptedBefore = counted("accepted");
        double duplicatesBefore = counted("duplicate");
        List<Boolean> duplicates = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // Each retry is signed anew, as Stripe signs every delivery with its own timestamp.
            HttpResponse<String> r = deliver(body, StripeSignature.header(body, SECRET, nowS() - i));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            duplicates.add(new JsonObject(r.body()).getBoolean("duplicate"));
        }
        assertThat(duplicates).containsExactly(false, true, true);
        List<ConsumerRecord<String, byte[]>> records = published(id, true);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).value()).as("the body exactly as signed").isEqualTo(body);
        assertThat(records.get(0).key()).isEqualTo("pay_" + id);
        assertThat(published(id, false))
                .as("nothing else written, not even aborted")
                .hasSize(1);
        assertThat(rows(id)).isEqualTo(1);
        assertThat(counted("accepted") - acceptedBefore).isEqualTo(1);
        assertThat(counted("duplicate") - duplicatesBefore).isEqualTo(2);
    }

    @Test
    void concurrentDeliveriesOfOneEventOnBothLanesPublishItOnce() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = "evt_conc_" + round + "_" + RUN;
            byte[] body = event(id, "payment_intent.payment_failed");
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                // A client of its own per delivery: its own connection, spread over both lanes.
                sent.add(HttpClient.newHttpClient()
                        .sendAsync(
                                HttpRequest.newBuilder(URI.create(base + "/v1/webhooks/stripe"))
                                        .header("Content-Type", "application/json")
                                        .header("Stripe-Signature", StripeSignature.header(body, SECRET, nowS()))
                                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString()));
            }
            long firsts = 0;
            for (CompletableFuture<HttpResponse<String>> f : sent) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                firsts += new JsonObject(r.body()).getBoolean("duplicate") ? 0 : 1;
            }
            assertThat(firsts).as("one delivery took it").isEqualTo(1);
            assertThat(published(id, false)).hasSize(1);
            assertThat(rows(id)).isEqualTo(1);
        }
    }

    @Test
    void eventsOfOneObjectDeliveredOutOfOrderAndRepeatedArePublishedOnceEach() throws Exception {
        String a = "evt_order_a_" + RUN;
        String b = "evt_order_b_" + RUN;
        byte[] first = event(a, "payment_intent.payment_failed");
        byte[] second = event(b, "payment_intent.succeeded");
        for (byte[] body : List.of(second, first, second, first, first)) {
            assertThat(deliver(body, StripeSignature.header(body, SECRET, nowS()))
                            .statusCode())
                    .isEqualTo(200);
        }
        assertThat(published(a, false)).hasSize(1);
        assertThat(published(b, false)).hasSize(1);
    }

    @Test
    void anEventSignedWithTheSecretBeingRotatedOutIsAccepted() throws Exception {
        String id = "evt_rot_" + RUN;
        byte[] body = event(id, "charge.refunded");
        String both = StripeSignature.header(body, OLD_SECRET, nowS()) + ",v1=" + "0".repeat(64);
        HttpResponse<String> r = deliver(body, both);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(published(id, true)).hasSize(1);
    }

    @Test
    void hostileDeliveriesGetTheirProblemAreCountedAndLeaveNothing() throws Exception {
        String id = "evt_hostile_" + RUN;
        byte[] body = event(id, "payment_intent.succeeded");
        byte[] changed = body.clone();
        changed[body.length / 2] ^= 1;
        String good = StripeSignature.header(body, SECRET, nowS());
        record Case(String outcome, int status, String slug, byte[] body, String signature) {}
        List<Case> cases = List.of(
                new Case("missing_signature", 400, "webhook-signature-missing", body, null),
                new Case("malformed_signature", 400, "webhook-signature-malformed", body, "t=abc,v1=00"),
                new Case(
                        "bad_signature",
                        400,
                        "webhook-signature-invalid",
                        body,
                        StripeSignature.header(body, "whsec_other", nowS())),
                new Case("bad_signature", 400, "webhook-signature-invalid", changed, good),
                new Case(
                        "stale_timestamp",
                        400,
                        "webhook-timestamp-out-of-tolerance",
                        body,
                        StripeSignature.header(body, SECRET, nowS() - 301 - 5)),
                new Case(
                        "stale_timestamp",
                        400,
                        "webhook-timestamp-out-of-tolerance",
                        body,
                        StripeSignature.header(body, SECRET, nowS() + 301 + 5)));
        for (Case c : cases) {
            double before = counted(c.outcome());
            HttpResponse<String> r = deliver(c.body(), c.signature());
            assertThat(r.statusCode()).as(c + ": " + r.body()).isEqualTo(c.status());
            assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
            assertThat(new JsonObject(r.body()).getString("type")).endsWith("/" + c.slug());
            assertThat(counted(c.outcome()) - before).as(c.outcome()).isEqualTo(1);
        }
        // A signed body that is not an event: 400, nothing taken.
        byte[] notAnEvent = "{\"object\":\"event\"}".getBytes(StandardCharsets.UTF_8);
        double malformedBefore = counted("malformed_body");
        assertThat(deliver(notAnEvent, StripeSignature.header(notAnEvent, SECRET, nowS()))
                        .statusCode())
                .isEqualTo(400);
        assertThat(counted("malformed_body") - malformedBefore).isEqualTo(1);

        assertThat(rows(id)).as("nothing recorded").isZero();
        assertThat(published(id, false))
                .as("nothing written, not even uncommitted")
                .isEmpty();
        // The same event, properly signed, is then taken: the refusals left no trace in its way.
        assertThat(deliver(body, good).statusCode()).isEqualTo(200);
        assertThat(published(id, true)).hasSize(1);
    }

    @Test
    void aSignedBodyOverTheLimitIs413AndLeavesNothing() throws Exception {
        String id = "evt_big_" + RUN;
        // A real event, padded past webhook.bodyBytesMax (8192 here) with whitespace, and signed.
        byte[] event = event(id, "payment_intent.succeeded");
        byte[] big = new byte[8193];
        java.util.Arrays.fill(big, (byte) ' ');
        System.arraycopy(event, 0, big, 0, event.length);
        double before = counted("oversize");
        HttpResponse<String> r = deliver(big, StripeSignature.header(big, SECRET, nowS()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(counted("oversize") - before).isEqualTo(1);
        assertThat(rows(id)).isZero();
        assertThat(published(id, false)).isEmpty();
    }

    @Test
    void theSandboxSendsASignedEventWithDuplicatesAndItIsPublishedOnce() throws Exception {
        SandboxProvider sandbox = sandbox(SECRET);
        try {
            JsonObject answer = trigger(
                    sandbox,
                    new JsonObject()
                            .put("type", "payment_intent.succeeded")
                            .put("payment_intent", "pi_sandbox_" + RUN)
                            .put("payment_id", "pay_sandbox_" + RUN)
                            .put("duplicates", 2));
            String id = answer.getString("id");
            assertThat(answer.getJsonArray("statuses").getList()).containsExactly(200, 200, 200);
            List<ConsumerRecord<String, byte[]>> records = published(id, false);
            assertThat(records).hasSize(1);
            assertThat(records.get(0).key()).isEqualTo("pay_sandbox_" + RUN);
            assertThat(rows(id)).isEqualTo(1);
        } finally {
            vertx.undeploy(sandboxDeployment).await();
        }
    }

    @Test
    void theSandboxRetriesARefusedDeliveryWithBackoffAndNothingIsPublished() throws Exception {
        SandboxProvider sandbox = sandbox("whsec_not_the_gateways");
        try {
            JsonObject answer = trigger(
                    sandbox,
                    new JsonObject()
                            .put("type", "payment_intent.succeeded")
                            .put("payment_intent", "pi_refused_" + RUN));
            assertThat(answer.getJsonArray("statuses").getList())
                    .hasSize(SandboxWebhooks.ATTEMPTS_MAX)
                    .containsOnly(400);
            assertThat(rows(answer.getString("id"))).isZero();
            assertThat(published(answer.getString("id"), false)).isEmpty();
        } finally {
            vertx.undeploy(sandboxDeployment).await();
        }
    }

    private static String sandboxDeployment;

    /** A sandbox of its own that sends Stripe webhooks to this gateway, signed with {@code secret}. */
    private static SandboxProvider sandbox(String secret) {
        SandboxProvider sandbox = new SandboxProvider(
                "127.0.0.1", FreePorts.pick(), infra.pgUri(), "sk_test_webhook_it", SandboxFaults.NONE);
        sandbox.sendWebhooksTo(base + "/v1/webhooks/stripe", secret);
        sandboxDeployment = vertx.deployVerticle(sandbox).await();
        return sandbox;
    }

    private static JsonObject trigger(SandboxProvider sandbox, JsonObject request) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sandbox.port() + "/sandbox/webhooks/stripe"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    @Test
    void aVerifiedEventOfATypeNotAppliedIsAcknowledgedAndNeitherRecordedNorPublished() throws Exception {
        String id = "evt_ignored_" + RUN;
        byte[] body = event(id, "customer.created");
        double before = counted("ignored_type");
        HttpResponse<String> r = deliver(body, StripeSignature.header(body, SECRET, nowS()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getString("ignored")).isNotNull();
        assertThat(counted("ignored_type") - before).isEqualTo(1);
        assertThat(rows(id)).isZero();
        assertThat(published(id, false)).isEmpty();
    }

    private static JsonObject paypalEvent(String eventId) {
        return SandboxWebhooks.paypalEvent(eventId, "PAYMENT.CAPTURE.COMPLETED", "CAP-" + eventId, "pay_" + eventId);
    }

    private static HttpResponse<String> deliverPayPal(byte[] body, String transmissionId, String signature)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/webhooks/paypal"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            b.header("PAYPAL-TRANSMISSION-ID", transmissionId)
                    .header("PAYPAL-TRANSMISSION-TIME", PAYPAL_TIME)
                    .header("PAYPAL-TRANSMISSION-SIG", signature)
                    .header("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-sandbox")
                    .header("PAYPAL-AUTH-ALGO", "SHA256withRSA");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Calls of the sandbox's verify-webhook-signature so far. */
    private static long paypalVerifications() throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + paypalSandbox.port() + "/sandbox/paypal/webhook-verifications");
        String body = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        return new JsonObject(body).getLong("verifications");
    }

    private static long paypalRows(String eventId) {
        return rows("paypal", eventId);
    }

    private static double countedPayPal(String outcome) {
        return counted("paypal", outcome);
    }

    private static double verificationsCounted(String outcome) {
        return Series.counter(gateway.metrics(), "gateway.webhooks.paypal.verifications", "outcome", outcome);
    }

    /** The PayPal sandbox sends one event to this gateway: its answer, with every delivery's status. */
    private static JsonObject triggerPayPal(JsonObject request) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + paypalSandbox.port() + "/sandbox/webhooks/paypal"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    @Test
    void theSandboxSendsAPayPalEventWithDuplicatesItIsPublishedOnceAndItsTransmissionVerifiedOnce() throws Exception {
        String payment = "pay_pp_" + RUN;
        long asked = paypalVerifications();
        double accepted = countedPayPal("accepted");
        double duplicate = countedPayPal("duplicate");
        double cached = verificationsCounted("cached");
        JsonObject answer = triggerPayPal(new JsonObject()
                .put("type", "PAYMENT.CAPTURE.COMPLETED")
                .put("capture", "CAP-pp-" + RUN)
                .put("payment_id", payment)
                .put("duplicates", 2));
        String id = answer.getString("id");
        assertThat(answer.getJsonArray("statuses").getList()).containsExactly(200, 200, 200);
        assertThat(paypalVerifications() - asked)
                .as("one transmission delivered 3 times: PayPal asked once, the cache answers the rest")
                .isEqualTo(1);
        assertThat(verificationsCounted("cached") - cached).isEqualTo(2);
        // PayPal's retry as a new transmission of the same event: asked again, taken as a duplicate.
        JsonObject again = triggerPayPal(new JsonObject()
                .put("type", "PAYMENT.CAPTURE.COMPLETED")
                .put("capture", "CAP-pp-" + RUN)
                .put("payment_id", payment)
                .put("event_id", id));
        assertThat(again.getString("transmission_id")).isNotEqualTo(answer.getString("transmission_id"));
        assertThat(again.getJsonArray("statuses").getList()).containsExactly(200);
        assertThat(paypalVerifications() - asked).isEqualTo(2);
        List<ConsumerRecord<String, byte[]>> records = published(id, true);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key()).isEqualTo(payment);
        assertThat(new String(
                        records.get(0)
                                .headers()
                                .lastHeader(WebhookIntake.HEADER_PROVIDER)
                                .value(),
                        StandardCharsets.UTF_8))
                .isEqualTo("paypal");
        assertThat(published(id, false))
                .as("nothing else written, not even aborted")
                .hasSize(1);
        assertThat(paypalRows(id)).isEqualTo(1);
        assertThat(countedPayPal("accepted") - accepted).isEqualTo(1);
        assertThat(countedPayPal("duplicate") - duplicate).isEqualTo(3);
    }

    @Test
    void aForgedPayPalDeliveryIsRefusedAtEveryRetryAndNothingIsPublished() throws Exception {
        long asked = paypalVerifications();
        double bad = countedPayPal("bad_signature");
        JsonObject answer = triggerPayPal(new JsonObject()
                .put("type", "PAYMENT.CAPTURE.COMPLETED")
                .put("capture", "CAP-forged-" + RUN)
                .put("payment_id", "pay_forged_" + RUN)
                .put("forged", true));
        String id = answer.getString("id");
        assertThat(answer.getJsonArray("statuses").getList())
                .hasSize(SandboxWebhooks.ATTEMPTS_MAX)
                .containsOnly(400);
        assertThat(countedPayPal("bad_signature") - bad).isEqualTo(SandboxWebhooks.ATTEMPTS_MAX);
        assertThat(paypalVerifications() - asked)
                .as("a refusal is never cached: each retry is asked again")
                .isEqualTo(SandboxWebhooks.ATTEMPTS_MAX);
        assertThat(paypalRows(id)).isZero();
        assertThat(published(id, false)).isEmpty();
    }

    @Test
    void aPayPalDeliveryWithoutHeadersWithABadSignatureOrAChangedBodyIsRefusedAndLeavesNothing() throws Exception {
        String id = "WH-hostile-" + RUN;
        JsonObject event = paypalEvent(id);
        byte[] body = event.encode().getBytes(StandardCharsets.UTF_8);
        String transmission = "txh-" + RUN;
        String sig = SandboxWebhooks.paypalSignature(transmission, PAYPAL_TIME, PAYPAL_WEBHOOK_ID, event);
        double missing = countedPayPal("missing_signature");
        double bad = countedPayPal("bad_signature");
        double malformed = countedPayPal("malformed_body");
        long asked = paypalVerifications();
        assertThat(deliverPayPal(body, transmission, null).statusCode()).isEqualTo(400);
        // Not one JSON object: refused before PayPal is asked (nothing spliced into its request).
        byte[] notAnObject = (new String(body, StandardCharsets.UTF_8) + ",\"webhook_id\":\"WH-other\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(deliverPayPal(notAnObject, transmission, sig).statusCode()).isEqualTo(400);
        assertThat(paypalVerifications() - asked).isZero();
        assertThat(deliverPayPal(body, transmission, "A" + sig.substring(1)).statusCode())
                .isEqualTo(400);
        assertThat(published(id, false)).as("nothing of a refused delivery").isEmpty();
        // A verified transmission's cached answer is not borrowed by another body under its id.
        assertThat(deliverPayPal(body, transmission, sig).statusCode()).isEqualTo(200);
        String changedId = "WH-hostile-changed-" + RUN;
        byte[] changed = paypalEvent(changedId).encode().getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = deliverPayPal(changed, transmission, sig);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(countedPayPal("missing_signature") - missing).isEqualTo(1);
        assertThat(countedPayPal("malformed_body") - malformed).isEqualTo(1);
        assertThat(countedPayPal("bad_signature") - bad).isEqualTo(2);
        assertThat(published(changedId, false)).isEmpty();
        assertThat(paypalRows(changedId)).isZero();
        assertThat(published(id, false)).as("only the genuine delivery").hasSize(1);
        assertThat(published(id, false).get(0).value())
                .as("the body exactly as received")
                .isEqualTo(body);
    }

    @Test
    void aSlowOrFailingVerificationApiGetsAFast503AndPayPalsRetryIsTakenOnceItRecovers() throws Exception {
        String id = "WH-slow-" + RUN;
        JsonObject event = paypalEvent(id);
        byte[] body = event.encode().getBytes(StandardCharsets.UTF_8);
        String transmission = "txs-" + RUN;
        String sig = SandboxWebhooks.paypalSignature(transmission, PAYPAL_TIME, PAYPAL_WEBHOOK_ID, event);
        double timeouts = verificationsCounted("timeout");
        double errors = verificationsCounted("error");
        double unavailable = countedPayPal("unavailable");
        try {
            paypalSandbox.setFaults(new SandboxFaults(5_000, 5_000, 0, 0, 0, 0));
            long startNs = System.nanoTime();
            HttpResponse<String> slow = deliverPayPal(body, transmission, sig);
            long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertThat(slow.statusCode()).as(slow.body()).isEqualTo(503);
            assertThat(slow.headers().firstValue("Retry-After")).isPresent();
            assertThat(tookMs)
                    .as("answered at the verification timeout (%d ms), not the API's 5 s", PAYPAL_VERIFY_TIMEOUT_MS)
                    .isBetween(PAYPAL_VERIFY_TIMEOUT_MS - 50, PAYPAL_VERIFY_TIMEOUT_MS + 2_000);
            assertThat(verificationsCounted("timeout") - timeouts).isEqualTo(1);
            paypalSandbox.setFaults(SandboxFaults.OUTAGE);
            HttpResponse<String> failing = deliverPayPal(body, transmission, sig);
            assertThat(failing.statusCode()).as(failing.body()).isEqualTo(503);
            assertThat(verificationsCounted("error") - errors).isEqualTo(1);
            assertThat(countedPayPal("unavailable") - unavailable).isEqualTo(2);
            assertThat(published(id, false)).isEmpty();
            assertThat(paypalRows(id)).isZero();
        } finally {
            paypalSandbox.setFaults(SandboxFaults.NONE);
        }
        HttpResponse<String> retried = deliverPayPal(body, transmission, sig);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(published(id, true)).hasSize(1);
    }

    @Test
    void webhooksNeedNoApiKeyAndPaymentsStillDo() throws Exception {
        HttpResponse<String> payment = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", "webhook-it-" + RUN)
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(payment.statusCode()).isEqualTo(401);
    }
}
