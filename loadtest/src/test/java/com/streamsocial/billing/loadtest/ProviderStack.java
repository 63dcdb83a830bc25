package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.reconcile.ProviderAccount;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.processor.reconcile.Reconciler;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test support: a fresh broker and database, the sandbox provider and a gateway, all real, in this
 * JVM; the processor in this JVM or as its own process, talking to the sandbox over HTTP.
 */
final class ProviderStack implements AutoCloseable {
    static final String SECRET = "sk_test_it";

    final LocalInfra infra;
    final Vertx vertx;
    final SandboxProvider sandbox;
    final Gateway gateway;
    /** A key of the tenant "default", made in this stack's PostgreSQL: what every request sends. */
    final String apiKey;

    final int gatewayPort;
    final int sandboxPort;
    final Pg pg;
    private final HttpClient http = HttpClient.newHttpClient();

    private ProviderStack(
            LocalInfra infra,
            Vertx vertx,
            SandboxProvider sandbox,
            Gateway gateway,
            int gatewayPort,
            int sandboxPort,
            String apiKey) {
        this.apiKey = apiKey;
        this.infra = infra;
        this.vertx = vertx;
        this.sandbox = sandbox;
        this.gateway = gateway;
        this.gatewayPort = gatewayPort;
        this.sandboxPort = sandboxPort;
        this.pg = new Pg(vertx, infra.pgUri());
    }

    static ProviderStack start(SandboxFaults faults) throws Exception {
        return start(faults, Tracing.off());
    }

    /** With the gateway's spans made by {@code tracing} (closed with the gateway). */
    static ProviderStack start(SandboxFaults faults, Tracing tracing) throws Exception {
        return start(faults, tracing, Map.of());
    }

    /**
     * With the gateway's Stripe webhook endpoint on, verifying with {@code secret}, and the sandbox
     * sending its webhooks there, signed with it (issue 21 §2).
     */
    static ProviderStack startWithWebhooks(SandboxFaults faults, String secret) throws Exception {
        ProviderStack stack = start(faults, Tracing.off(), Map.of("webhook.stripe.secret", secret));
        stack.sandbox.sendWebhooksTo(stack.baseUrl() + "/v1/webhooks/stripe", secret);
        return stack;
    }

    /**
     * With the gateway's PayPal webhook endpoint on for PayPal webhook {@code webhookId}, verifying each
     * delivery with the sandbox's verify-webhook-signature API, and the sandbox sending its PayPal
     * webhooks there (issue 21 §2).
     */
    static ProviderStack startWithPayPalWebhooks(SandboxFaults faults, String webhookId) throws Exception {
        ProviderStack stack = start(faults, Tracing.off(), Map.of(PAYPAL_WEBHOOK_ID, webhookId));
        stack.sandbox.sendPayPalWebhooksTo(stack.baseUrl() + "/v1/webhooks/paypal", webhookId);
        return stack;
    }

    private static final String PAYPAL_WEBHOOK_ID = "webhook.paypal.webhookId";

    /** With {@code gatewaySettings} added to the gateway's. */
    static ProviderStack start(SandboxFaults faults, Tracing tracing, Map<String, String> gatewaySettings)
            throws Exception {
        LocalInfra infra = LocalInfra.start(0, 0);
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(100)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
        int sandboxPort = FreePorts.pick();
        SandboxProvider sandbox = new SandboxProvider("127.0.0.1", sandboxPort, infra.pgUri(), SECRET, faults);
        await(vertx.deployVerticle(sandbox));
        int gatewayPort = FreePorts.pick();
        Gateway gateway = await(Gateway.deploy(
                vertx,
                GatewayConfig.from(LocalInfra.singleBrokerSettings(
                        gatewaySettings(gatewayPort, sandboxPort, infra, gatewaySettings))),
                BatchFaults.NONE,
                new ServiceMetrics(),
                tracing));
        String apiKey = TenantKeys.create(infra.pgUri(), "default");
        return new ProviderStack(infra, vertx, sandbox, gateway, gatewayPort, sandboxPort, apiKey);
    }

    /** The gateway verifies registrations with the stack's sandbox. */
    private static Map<String, String> gatewaySettings(
            int port, int sandboxPort, LocalInfra infra, Map<String, String> extra) {
        Map<String, String> g = new HashMap<>(Map.of(
                "http.port",
                String.valueOf(port),
                "http.host",
                "127.0.0.1",
                "pg.uri",
                infra.pgUri(),
                "kafka.bootstrap.servers",
                infra.kafkaBootstrap(),
                "provider.baseUrl",
                "http://127.0.0.1:" + sandboxPort,
                "provider.secretKey",
                SECRET));
        if (extra.containsKey(PAYPAL_WEBHOOK_ID)) {
            // PayPal's verification API is the stack's sandbox, with its credentials.
            g.put("webhook.paypal.baseUrl", "http://127.0.0.1:" + sandboxPort);
            g.put("webhook.paypal.clientId", "sandbox-client-id");
            g.put("webhook.paypal.clientSecret", "sandbox-client-secret");
        }
        g.putAll(extra);
        return g;
    }

    /** Processor settings pointing at this stack; {@code overrides} on top. */
    Map<String, String> processorSettings(Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>();
        p.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        p.put("pg.uri", infra.pgUri());
        p.put("provider.kind", "stripe");
        p.put("provider.baseUrl", "http://127.0.0.1:" + sandboxPort);
        p.put("provider.secretKey", SECRET);
        p.put("processor.httpHost", "127.0.0.1");
        p.put("processor.httpPort", String.valueOf(FreePorts.pick()));
        p.put("reconcile.intervalMs", "0");
        // The sandbox, its PayPal credentials and the naive guarantees are development-only (DevModes).
        p.put("dev.mode", "true");
        // One broker: its topics cannot be replicated (LocalInfra.SINGLE_BROKER).
        p.putAll(LocalInfra.SINGLE_BROKER);
        p.putAll(overrides);
        return p;
    }

    /** Short provider deadlines and back-off, for tests that want a failed batch retried quickly. */
    static final Map<String, String> QUICK_RETRIES = Map.of(
            "processor.processTimeoutMs", "8000",
            "provider.callTimeoutMs", "1000",
            "provider.retryMaxMs", "300",
            "processor.backoffMaxMs", "1000");

    Processor startProcessor(Map<String, String> overrides) throws Exception {
        return await(Processor.deploy(vertx, ProcessorConfig.from(Settings.of(processorSettings(overrides)))));
    }

    /** With the processor's spans made by {@code tracing} (closed with the processor). */
    Processor startProcessor(Map<String, String> overrides, Tracing tracing) throws Exception {
        return await(Processor.deploy(
                vertx,
                ProcessorConfig.from(Settings.of(processorSettings(overrides))),
                null,
                new ServiceMetrics(),
                tracing));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + gatewayPort;
    }

    String sandboxUrl() {
        return "http://127.0.0.1:" + sandboxPort;
    }

    /** {@code POST /v1/payments/{id}/refunds} under {@code key}; {@code body} null sends none. */
    CompletableFuture<HttpResponse<String>> refundAsync(String paymentId, String key, String body) {
        return refundAsync(paymentId, key, body, Map.of());
    }

    /** The same, with {@code headers} added (a {@code traceparent}). */
    CompletableFuture<HttpResponse<String>> refundAsync(
            String paymentId, String key, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/payments/" + paymentId + "/refunds"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> refund(String paymentId, String key, String body) throws Exception {
        return refundAsync(paymentId, key, body).get(60, TimeUnit.SECONDS);
    }

    /** A payment of {@code amount} by card under {@code key}, accepted and then {@code succeeded}; its id. */
    String paid(String key, long amount) throws Exception {
        assertThat(pay(key, amount, "pm_card_visa").statusCode()).isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        assertThat(Await.until(
                        () -> "succeeded"
                                .equals(get(baseUrl() + "/v1/payments/" + id).getString("status")),
                        60_000))
                .as("payment %s succeeded", id)
                .isTrue();
        return id;
    }

    HttpResponse<String> pay(String key, long amount, String method) throws Exception {
        return pay(key, amount, method, Map.of());
    }

    /** The same, with {@code headers} added (a {@code traceparent}). */
    HttpResponse<String> pay(String key, long amount, String method, Map<String, String> headers) throws Exception {
        String body = new JsonObject()
                .put("amount", amount)
                .put("currency", "USD")
                .put("customer_id", "cus_1")
                .put("payment_method", method)
                .encode();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonObject get(String url) throws Exception {
        return new JsonObject(
                http.send(request(url), HttpResponse.BodyHandlers.ofString()).body());
    }

    int status(String url) throws Exception {
        return http.send(request(url), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** A GET; to the gateway's API with this stack's key, elsewhere (health, metrics, sandbox) without. */
    private HttpRequest request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (url.startsWith(baseUrl() + "/v1/")) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b.build();
    }

    /**
     * Has the sandbox send one Stripe webhook ({@code POST /sandbox/webhooks/stripe}) to the gateway,
     * retried until a 2xx and then {@code duplicates} more times: its answer, with every status.
     */
    JsonObject stripeWebhook(JsonObject trigger) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(sandboxUrl() + "/sandbox/webhooks/stripe"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(trigger.encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    /**
     * Has the sandbox send one PayPal webhook ({@code POST /sandbox/webhooks/paypal}) to the gateway,
     * as one transmission retried until a 2xx and then {@code duplicates} more times: its answer.
     */
    JsonObject paypalWebhook(JsonObject trigger) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(sandboxUrl() + "/sandbox/webhooks/paypal"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(trigger.encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    /** The processor settings of a stack whose provider is PayPal (the sandbox's), quick retries. */
    static Map<String, String> payPalProcessor() {
        Map<String, String> props = new HashMap<>(QUICK_RETRIES);
        props.put("provider.kind", "paypal");
        return props;
    }

    /** Reconciliation of the last hour against the sandbox's PayPal Transaction Search. */
    ReconcileReport reconcilePayPal() throws Exception {
        return reconcile(false, 0, ProviderAccount.paypal(sandboxUrl(), "sandbox-client-id", "sandbox-client-secret"));
    }

    /** A call to the sandbox's Stripe API, as a client other than our processor. */
    HttpResponse<String> stripe(String path, String key, String form) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(sandboxUrl() + path))
                        .header("Authorization", "Bearer " + SECRET)
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonObject sandboxStats() throws Exception {
        return get(sandboxUrl() + "/sandbox/charges/stats");
    }

    ReconcileReport reconcile(boolean repair, long graceMs) throws Exception {
        return reconcile(repair, graceMs, ProviderAccount.stripe(sandboxUrl(), SECRET));
    }

    /** Reconciliation of the last hour against {@code account}'s settlement report. */
    ReconcileReport reconcile(boolean repair, long graceMs, ProviderAccount account) throws Exception {
        return reconcile(repair, graceMs, account, 1_000);
    }

    /** The same, reading every source in pages of {@code pageRecordsMax}. */
    ReconcileReport reconcile(boolean repair, long graceMs, ProviderAccount account, int pageRecordsMax)
            throws Exception {
        long now = System.currentTimeMillis();
        Map<String, Object> kafka = Map.of("bootstrap.servers", infra.kafkaBootstrap());
        ReconcileOptions o = new ReconcileOptions(
                now - 3_600_000,
                now,
                graceMs,
                60_000,
                repair,
                Files.createTempFile("reconcile", ".json"),
                infra.pgUri(),
                kafka,
                "billing-processor",
                account,
                pageRecordsMax,
                10_000,
                null);
        return new Reconciler(vertx, o).run();
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        pg.close();
        await(gateway.close());
        await(vertx.close());
        infra.close();
    }
}
