package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §1 end to end: gateway, Kafka, processor, PostgreSQL and the sandbox provider, all real.
 * Tenant {@code default} holding tenant B's customer and saved card cannot charge them: its payments
 * are refused 422, and the provider records no charge of theirs, while B's own payment and
 * {@code default}'s payment with its own customer are charged.
 */
class ChargeOwnershipIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static String keyB;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(Map.of());
        keyB = TenantKeys.create(stack.infra.pgUri(), "tenant-b");
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aTenantHoldingAnotherTenantsCustomerAndCardChargesNothing() throws Exception {
        // B registers its customer with its saved card (made in the sandbox for tenant-b, as the platform
        // does at the provider; the gateway verifies both with it), and pays with them.
        SandboxCustomersClient sandbox = new SandboxCustomersClient(stack.sandboxPort, ProviderStack.SECRET);
        String cusB = sandbox.customer("tenant-b");
        String pmB = sandbox.attach("pm_card_visa", cusB);
        HttpResponse<String> registered = TenantApi.register(stack.baseUrl(), keyB, cusB, List.of(pmB));
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        assertThat(TenantApi.pay(stack.baseUrl(), keyB, "b-own", 1_000, cusB, pmB)
                        .statusCode())
                .isEqualTo(202);

        // default tries B's customer with B's card, B's customer with the shared test token, and its
        // own customer with B's card: each 422, as problem+json naming no one.
        List<String> refused = List.of("a-both", "a-customer", "a-card");
        HttpResponse<String> both = TenantApi.pay(stack.baseUrl(), stack.apiKey, refused.get(0), 5_000, cusB, pmB);
        HttpResponse<String> customer =
                TenantApi.pay(stack.baseUrl(), stack.apiKey, refused.get(1), 5_001, cusB, "pm_card_visa");
        HttpResponse<String> card = TenantApi.pay(stack.baseUrl(), stack.apiKey, refused.get(2), 5_002, "cus_a", pmB);
        for (HttpResponse<String> r : List.of(both, customer, card)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
            assertThat(new JsonObject(r.body()).getString("type")).endsWith("/customer-not-owned");
            assertThat(r.body()).doesNotContain("tenant-b");
        }
        // default's own customer (registered by this first use) with the shared token is charged.
        assertThat(TenantApi.pay(stack.baseUrl(), stack.apiKey, "a-own", 5_003, "cus_a", "pm_card_visa")
                        .statusCode())
                .isEqualTo(202);

        assertThat(stack.pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", 2, 60_000))
                .isEqualTo(2);
        assertThat(stack.pg.awaitCount("SELECT count(*) FROM sandbox.charges", 2, 60_000))
                .isEqualTo(2);
        // The provider charged B's customer once, for B, and nothing of default's refused payments.
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM sandbox.charges WHERE customer = '" + cusB + "' AND amount = 1000"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE customer = '" + cusB + "'"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE payment_method = '" + pmB + "'"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE amount BETWEEN 5000 AND 5002"))
                .isZero();
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE amount = 5003"))
                .isEqualTo(1);
        for (String k : refused) {
            assertThat(stack.pg.count("SELECT count(*) FROM payments WHERE payment_id = '"
                            + PaymentIds.paymentId("default", k) + "'"))
                    .as(k)
                    .isZero();
        }
    }
}
