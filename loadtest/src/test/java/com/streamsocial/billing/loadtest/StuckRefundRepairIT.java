package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.processor.psp.StripeProvider;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stuck refund re-driven by {@code reconcile --repair} (issue 21), on a real broker and PostgreSQL
 * with the Stripe sandbox: a refund the gateway accepted and a processor claimed ten minutes ago,
 * posted to the provider (its exact request under the provider key of its refund id, the refund made
 * there), and never decided, as a processor that crashed between its provider call and its record
 * leaves it. The repair re-drives it; the processor posts again under the same key, gets the first
 * refund back, and decides it once: one provider refund, one ledger entry, one outcome.
 */
class StuckRefundRepairIT {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(ProviderStack.QUICK_RETRIES);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    private static void sql(String s) {
        stack.pg.count("WITH x AS (" + s + " RETURNING 1) SELECT count(*) FROM x");
    }

    private static long outcomes(String refundId) {
        long n = 0;
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.REFUND_RESULTS, true)) {
            if (new String(r.value(), StandardCharsets.UTF_8).contains("\"" + refundId + "\"")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aStuckRefundIsReDrivenAndDecidedOnceWithoutASecondProviderRefund() throws Exception {
        String id = stack.paid("stuck-pay-" + RUN, 1_000);
        String key = "stuck-refund-" + RUN;
        String refundId = RefundIds.refundId("default", key);
        String charge = stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + id + "'");
        sql("""
                INSERT INTO refund_intents (refund_id, payment_id, tenant, idempotency_key, request_hash, amount,
                                            currency, accepted_at)
                VALUES ('%s', '%s', 'default', '%s', 'h-stuck', 400, 'USD', now() - interval '10 minutes')""".formatted(refundId, id, key));
        sql("""
                INSERT INTO refunds (refund_id, payment_id, tenant, request_hash, amount, currency, status, attempts,
                                     last_attempt_at, source_partition, source_offset, created_at)
                VALUES ('%s', '%s', 'default', 'h-stuck', 400, 'USD', 'refunding', 1,
                        now() - interval '10 minutes', 0, 0, now() - interval '10 minutes')""".formatted(refundId, id));
        // What the crashed processor sent: its request, under its key, so the provider made the refund.
        HttpResponse<String> made = stack.stripe(
                "/v1/refunds",
                RefundIds.providerKey(refundId),
                StripeProvider.refundForm(new RefundProvider.RefundCall(
                        refundId, id, "default", 400, "USD", charge, null, SpanContext.getInvalid())));
        assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
        String providerRefund = new JsonObject(made.body()).getString("id");

        ReconcileReport dry = stack.reconcile(false, 0);
        assertThat(dry.ids(BreakClass.STUCK_REFUND)).as(dry.table()).containsExactly(refundId);
        ReconcileReport repair = stack.reconcile(true, 0);
        assertThat(repair.toJson(0, 0, true)
                        .getJsonObject("breaks")
                        .getJsonObject(BreakClass.STUCK_REFUND.wire())
                        .getLong("repaired"))
                .as(repair.table())
                .isEqualTo(1);

        assertThat(Await.until(
                        () -> "succeeded"
                                .equals(stack.get(stack.baseUrl() + "/v1/payments/" + id + "/refunds/" + refundId)
                                        .getString("status")),
                        60_000))
                .as("the re-driven refund is decided")
                .isTrue();
        assertThat(Await.until(() -> outcomes(refundId) >= 1, 60_000)).isTrue();
        assertThat(outcomes(refundId)).as("one outcome").isEqualTo(1);
        assertThat(stack.pg.text("SELECT provider_ref FROM refunds WHERE refund_id = '" + refundId + "'"))
                .as("the provider's first refund, answered again under the same key")
                .isEqualTo(providerRefund);
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.refunds WHERE charge = '" + charge + "'"))
                .as("no second refund at the provider")
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND refund_id = '"
                        + refundId + "' AND amount = -400"))
                .isEqualTo(1);
        ReconcileReport after = stack.reconcile(false, 0);
        assertThat(after.total()).as(after.table()).isZero();
    }
}
