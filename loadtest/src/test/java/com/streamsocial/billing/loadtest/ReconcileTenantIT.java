package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A payment's tenant is checked across the log, the ledger and the provider: a forged disagreement
 * (the ledger's tenant changed; a charge's {@code metadata[tenant]} changed) is a counted
 * {@code tenant_mismatch} naming that payment only, and {@code --repair} leaves it, and the forged
 * data, as they are.
 */
class ReconcileTenantIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(Map.of());
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = stack.pay("tenant-" + i, 2_000 + i, "pm_card_visa");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            ids.add(PaymentIds.paymentId("default", "tenant-" + i));
        }
        assertThat(stack.pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", 4, 60_000))
                .isEqualTo(4);
        PipelineAssertions.awaitTopicCount(
                stack.infra.kafkaBootstrap(), com.streamsocial.billing.events.Topics.RESULTS, 4, 60_000);
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

        ReconcileReport dry = stack.reconcile(false, 0);
        System.out.println(dry.table());
        assertThat(dry.ids(BreakClass.TENANT_MISMATCH)).containsExactlyInAnyOrder(ledgerForged, providerForged);
        assertThat(dry.total()).as("counted, and nothing else found").isEqualTo(2);

        ReconcileReport repair = stack.reconcile(true, 0);
        assertThat(repair.toJson(0, 0, true)
                        .getJsonObject("breaks")
                        .getJsonObject(BreakClass.TENANT_MISMATCH.wire())
                        .getLong("repaired"))
                .isZero();
        assertThat(stack.reconcile(false, 0).ids(BreakClass.TENANT_MISMATCH))
                .containsExactlyInAnyOrder(ledgerForged, providerForged);
        // Nothing was moved: no refund, no compensation, the forged tenants still there.
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE refunded"))
                .isZero();
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'compensation'"))
                .isZero();
        assertThat(stack.pg.text("SELECT tenant FROM payments WHERE payment_id = '" + ledgerForged + "'"))
                .isEqualTo("mallory");
    }
}
