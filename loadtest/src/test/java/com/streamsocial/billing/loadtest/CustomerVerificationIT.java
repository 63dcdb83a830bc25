package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import com.streamsocial.billing.gateway.ownership.VerificationConfig;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §1: {@code POST /v1/customers} registers a customer and its payment methods only when the
 * provider says they are the caller's tenant's: the customer's {@code metadata[tenant]}, and each payment
 * method attached to that customer. Gateway with the production defaults (no trust on first use,
 * verification on), Kafka, PostgreSQL and the processor real; the sandbox is the provider.
 */
class CustomerVerificationIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static SandboxCustomersClient sandbox;
    private static String keyA;
    private static String keyB;
    private static NetServer silent;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE, Tracing.off(), Map.of(OwnershipConfig.FIRST_USE, "false"));
        processor = stack.startProcessor(Map.of());
        keyA = TenantKeys.create(stack.infra.pgUri(), "tenant-a");
        keyB = TenantKeys.create(stack.infra.pgUri(), "tenant-b");
        sandbox = new SandboxCustomersClient(stack.sandboxPort, ProviderStack.SECRET);
    }

    @AfterAll
    static void stop() throws Exception {
        if (silent != null) {
            ProviderStack.await(silent.close());
        }
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static void assertProblem(HttpResponse<String> r, int status, String slug, String reason) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        JsonObject p = new JsonObject(r.body());
        assertThat(p.getString("type")).endsWith("/" + slug);
        if (reason != null) {
            assertThat(p.getString("reason")).isEqualTo(reason);
        }
    }

    private static long owners(String id) {
        return stack.pg.count("SELECT count(*) FROM owners WHERE id = '" + id + "'");
    }

    @Test
    void onlyTheTenantTheProviderNamesRegistersAndPays() throws Exception {
        String cusB = sandbox.customer("tenant-b");
        String pmB = sandbox.attach("pm_card_visa", cusB);
        String cusA = sandbox.customer("tenant-a");
        String pmA = sandbox.attach("pm_card_visa", cusA);

        // A registers B's customer (with B's card, then alone): refused, nothing registered.
        assertProblem(
                TenantApi.register(stack.baseUrl(), keyA, cusB, List.of(pmB)),
                422,
                "customer-not-verified",
                "tenant_mismatch");
        assertProblem(
                TenantApi.register(stack.baseUrl(), keyA, cusB, List.of()),
                422,
                "customer-not-verified",
                "tenant_mismatch");
        // A registers its own customer with B's card: the card is attached to another customer.
        assertProblem(
                TenantApi.register(stack.baseUrl(), keyA, cusA, List.of(pmA, pmB)),
                422,
                "customer-not-verified",
                "payment_method_not_attached");
        // An id the provider does not know.
        assertProblem(
                TenantApi.register(stack.baseUrl(), keyA, "cus_nobody", List.of()),
                422,
                "customer-not-verified",
                "not_found");
        for (String id : List.of(cusB, pmB, cusA, pmA, "cus_nobody")) {
            assertThat(owners(id)).as(id).isZero();
        }
        // A's payment with B's customer and card: not A's, so 422 customer-not-owned.
        assertProblem(
                TenantApi.pay(stack.baseUrl(), keyA, "a-with-b", 7_001, cusB, pmB), 422, "customer-not-owned", null);

        // The tenants the provider names register (201) and pay (202); the sandbox charges them.
        HttpResponse<String> b = TenantApi.register(stack.baseUrl(), keyB, cusB, List.of(pmB));
        assertThat(b.statusCode()).as(b.body()).isEqualTo(201);
        HttpResponse<String> a = TenantApi.register(stack.baseUrl(), keyA, cusA, List.of(pmA));
        assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
        assertThat(owners(cusB) + owners(pmB) + owners(cusA) + owners(pmA)).isEqualTo(4);
        HttpResponse<String> payB = TenantApi.pay(stack.baseUrl(), keyB, "b-own", 7_002, cusB, pmB);
        assertThat(payB.statusCode()).as(payB.body()).isEqualTo(202);
        HttpResponse<String> payA = TenantApi.pay(stack.baseUrl(), keyA, "a-own", 7_003, cusA, pmA);
        assertThat(payA.statusCode()).as(payA.body()).isEqualTo(202);
        // Now B's, still refused to A.
        assertProblem(
                TenantApi.pay(stack.baseUrl(), keyA, "a-with-b-2", 7_004, cusB, pmB), 422, "customer-not-owned", null);

        assertThat(stack.pg.awaitCount("SELECT count(*) FROM sandbox.charges WHERE amount IN (7002, 7003)", 2, 60_000))
                .isEqualTo(2);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE payment_method = '" + pmB + "'"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE amount IN (7001, 7004)"))
                .isZero();
    }

    /** A gateway whose provider is {@code providerUrl}, with the production defaults otherwise. */
    private static Gateway gateway(int port, String instance, String providerUrl) throws Exception {
        Map<String, String> s = new HashMap<>(Map.of(
                "http.port",
                String.valueOf(port),
                "http.host",
                "127.0.0.1",
                "gateway.instanceId",
                instance,
                "pg.uri",
                stack.infra.pgUri(),
                "kafka.bootstrap.servers",
                stack.infra.kafkaBootstrap(),
                VerificationConfig.PROVIDER_BASE_URL,
                providerUrl,
                VerificationConfig.PROVIDER_SECRET_KEY,
                ProviderStack.SECRET,
                VerificationConfig.TIMEOUT_MS,
                "500",
                OwnershipConfig.FIRST_USE,
                "false"));
        return ProviderStack.await(
                Gateway.deploy(stack.vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE));
    }

    @Test
    void aProviderDownOrSilentGets503WithRetryAfterAndNothingRegistered() throws Exception {
        String cus = sandbox.customer("tenant-a");
        String pm = sandbox.attach("pm_card_visa", cus);
        // Down: nothing listens. Silent: a server that takes the connection and never answers.
        silent = ProviderStack.await(
                stack.vertx.createNetServer().connectHandler(socket -> {}).listen(0, "127.0.0.1"));
        Map<String, String> providers = Map.of(
                "error", "http://127.0.0.1:" + FreePorts.pick(), "timeout", "http://127.0.0.1:" + silent.actualPort());
        for (Map.Entry<String, String> e : providers.entrySet()) {
            int port = FreePorts.pick();
            Gateway g = gateway(port, "gateway-verify-" + e.getKey(), e.getValue());
            try {
                HttpResponse<String> r = TenantApi.register("http://127.0.0.1:" + port, keyA, cus, List.of(pm));
                assertProblem(r, 503, "provider_unavailable", e.getKey());
                assertThat(r.headers().firstValue("Retry-After")).as(e.getKey()).isPresent();
            } finally {
                ProviderStack.await(g.close());
            }
            assertThat(owners(cus) + owners(pm)).as(e.getKey()).isZero();
        }
        // The same registration through the stack's gateway, whose provider answers: registered.
        HttpResponse<String> ok = TenantApi.register(stack.baseUrl(), keyA, cus, List.of(pm));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(owners(cus) + owners(pm)).isEqualTo(2);
    }
}
