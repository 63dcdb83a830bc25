package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A payment's tenant is checked across the log, the ledger and the provider: a forged disagreement
 * (the ledger's tenant changed; a charge's {@code metadata[tenant]} changed; the billing event's
 * tenant differing from both) is a counted {@code tenant_mismatch} naming that payment only, and
 * {@code --repair} leaves it, and the forged data, as they are.
 */
class ReconcileTenantIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static final List<String> ids = new ArrayList<>();
    /** A payment whose billing event names {@link #OTHER_TENANT}, while its ledger row and charge do not. */
    private static String logForged;

    private static final String OTHER_TENANT = "mallory";

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(Map.of());
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = stack.pay("tenant-" + i, 2_000 + i, "pm_card_visa");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            ids.add(PaymentIds.paymentId("default", "tenant-" + i));
        }
        // One payment made by another tenant: its billing event on the log names that tenant.
        String otherKey = TenantKeys.create(stack.infra.pgUri(), OTHER_TENANT);
        HttpResponse<String> other = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/v1/payments"))
                                .header("Authorization", "Bearer " + otherKey)
                                .header("Idempotency-Key", "tenant-log")
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":2100,\"currency\":\"USD\","
                                        + "\"customer_id\":\"cus_mallory\",\"payment_method\":\"pm_card_visa\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).as(other.body()).isEqualTo(202);
        logForged = PaymentIds.paymentId(OTHER_TENANT, "tenant-log");
        assertThat(stack.pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", 5, 60_000))
                .isEqualTo(5);
        PipelineAssertions.awaitTopicCount(
                stack.infra.kafkaBootstrap(), com.streamsocial.billing.events.Topics.RESULTS, 5, 60_000);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    private static void sql(String s) {
        assertThat(stack.pg.count("WITH x AS (" + s + " RETURNING 1) SELECT count(*) FROM x"))
                .as(s)
                .isEqualTo(1);
    }

    @Test
    void aTenantDisagreementIsACountedBreakThatRepairLeavesAlone() throws Exception {
        ReconcileReport clean = stack.reconcile(false, 0);
        assertThat(clean.ids(BreakClass.TENANT_MISMATCH)).isEmpty();
        assertThat(clean.total()).as("a clean pipeline has no breaks").isZero();

        // The ledger names another tenant than the log and the provider.
        String ledgerForged = ids.get(0);
        sql("UPDATE payments SET tenant = 'mallory' WHERE payment_id = '" + ledgerForged + "'");
        // The provider's charge names another tenant than the log and the ledger.
        String providerForged = ids.get(1);
        sql("UPDATE sandbox.charges SET metadata = (metadata::jsonb || '{\"tenant\":\"mallory\"}')::text"
                + " WHERE payment_id = '" + providerForged + "'");
        // The billing event names another tenant than the ledger and the provider: a record on the log
        // cannot be changed, so the ledger's and the charge's tenant are moved away from it instead.
        sql("UPDATE payments SET tenant = 'default' WHERE payment_id = '" + logForged + "'");
        sql("UPDATE sandbox.charges SET metadata = (metadata::jsonb || '{\"tenant\":\"default\"}')::text"
                + " WHERE payment_id = '" + logForged + "'");

        ReconcileReport dry = stack.reconcile(false, 0);
        System.out.println(dry.table());
        assertThat(dry.ids(BreakClass.TENANT_MISMATCH))
                .containsExactlyInAnyOrder(ledgerForged, providerForged, logForged);
        assertThat(dry.total()).as("counted, and nothing else found").isEqualTo(3);

        ReconcileReport repair = stack.reconcile(true, 0);
        assertThat(repair.toJson(0, 0, true)
                        .getJsonObject("breaks")
                        .getJsonObject(BreakClass.TENANT_MISMATCH.wire())
                        .getLong("repaired"))
                .isZero();
        assertThat(stack.reconcile(false, 0).ids(BreakClass.TENANT_MISMATCH))
                .containsExactlyInAnyOrder(ledgerForged, providerForged, logForged);
        // Nothing was moved: no refund, no compensation, the forged tenants still there.
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE refunded"))
                .isZero();
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'compensation'"))
                .isZero();
        assertThat(stack.pg.text("SELECT tenant FROM payments WHERE payment_id = '" + ledgerForged + "'"))
                .isEqualTo("mallory");
    }
}
