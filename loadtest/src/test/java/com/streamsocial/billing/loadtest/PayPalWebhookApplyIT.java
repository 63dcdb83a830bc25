package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PayPal webhooks applied by the processor (issue 21 §2), end to end on a real broker and PostgreSQL,
 * the provider set to PayPal: the sandbox sends PayPal's events as one transmission each, 3 times
 * (PayPal retries), the gateway verifies them with the sandbox's verify-webhook-signature API, and the
 * processor applies each once, also when its record is published again past the gateway. A dashboard
 * refund is one ledger entry, and in the sandbox's own records, so reconciliation against Transaction
 * Search finds no refund break; a refund of ours PayPal left pending is decided by its event; a dispute
 * is shown on GET with its final status; a forged delivery is refused and changes nothing.
 */
class PayPalWebhookApplyIT {
    private static final String WEBHOOK_ID = "WH-paypal-webhook-apply-it";
    private static final String RUN = Long.toString(System.nanoTime(), 36).toUpperCase(java.util.Locale.ROOT);
    /** Deliveries of each event: the first and 2 duplicates, one transmission (PayPal's retries). */
    private static final int DUPLICATES = 2;

    private static ProviderStack stack;
    private static Processor processor;
    private static WebhookProbe probe;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.startWithPayPalWebhooks(SandboxFaults.NONE, WEBHOOK_ID);
        Map<String, String> props = ProviderStack.payPalProcessor();
        // A pending refund is decided by its event here, never by the sweep's look-up.
        props.put("processor.pendingRefundBackoffMs", String.valueOf(3_600_000));
        processor = stack.startProcessor(props);
        probe = new WebhookProbe(stack, processor);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    /** Has the sandbox send a PayPal event about resource {@code resourceId}, 3 times; its id. */
    private static String trigger(String type, String resourceId, JsonObject resource) throws Exception {
        JsonObject answer = stack.paypalWebhook(new JsonObject()
                .put("type", type)
                .put("capture", resourceId)
                .put("duplicates", DUPLICATES)
                .put("object", resource));
        assertThat(answer.getJsonArray("statuses").getList())
                .as(answer.encode())
                .hasSize(1 + DUPLICATES)
                .containsOnly(200);
        return answer.getString("id");
    }

    private static String url(String id) {
        return stack.baseUrl() + "/v1/payments/" + id;
    }

    private static String capture(String paymentId) {
        return stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + paymentId + "'");
    }

    /** A PayPal refund resource of {@code value} USD of {@code capture}, as PayPal's refund events carry it. */
    private static JsonObject refund(String capture, String value) {
        return new JsonObject()
                .put("status", "COMPLETED")
                .put("amount", new JsonObject().put("currency_code", "USD").put("value", value))
                .put(
                        "links",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("rel", "up")
                                        .put("method", "GET")
                                        .put("href", stack.sandboxUrl() + "/v2/payments/captures/" + capture)));
    }

    private static long sandboxRefunded(String capture) {
        return stack.pg.count("SELECT coalesce(sum(amount), 0) FROM sandbox.paypal_refunds WHERE capture_id = '"
                + capture + "' AND status = 'COMPLETED'");
    }

    @Test
    void aDashboardRefundIsOneLedgerEntryThroughRedeliveriesAndReconcilesClean() throws Exception {
        String id = stack.paid("pp-wh-refund-" + RUN, 1_000);
        String capture = capture(id);
        String refund = "REFDASH" + RUN;
        double applied = probe.applied("applied");
        double duplicates = probe.applied("duplicate");
        String event = trigger("PAYMENT.CAPTURE.REFUNDED", refund, refund(capture, "4.00"));
        probe.awaitApplied("applied", applied + 1);
        JsonObject payment = stack.get(url(id));
        assertThat(payment.getLong("amount_refunded")).as(payment.encode()).isEqualTo(400L);
        assertThat(payment.getJsonArray("refunds")).hasSize(1);
        assertThat(payment.getJsonArray("refunds").getJsonObject(0).getString("id"))
                .isEqualTo(refund);
        assertThat(payment.getJsonArray("refunds").getJsonObject(0).getString("status"))
                .isEqualTo("succeeded");
        // 3 deliveries, one record; the record published 3 times more past the gateway: duplicates.
        assertThat(probe.records(event, false))
                .as("published once, even uncommitted")
                .hasSize(1);
        probe.redeliver(event, 3);
        probe.awaitApplied("duplicate", duplicates + 3);

        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND payment_id = '" + id + "'"))
                .as("one refund entry")
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT sum(amount) FROM ledger_entries WHERE payment_id = '" + id + "'"))
                .isEqualTo(600);
        assertThat(probe.applied("applied")).isEqualTo(applied + 1);
        // The refund the sandbox announced is in its own records: Transaction Search lists it.
        ReconcileReport report = stack.reconcilePayPal();
        assertThat(WebhookProbe.refundBreaks(report, id)).as(report.table()).isEmpty();
        assertThat(sandboxRefunded(capture)).isEqualTo(400);
    }

    @Test
    void aRefundOfOursPayPalLeftPendingIsDecidedOnceByItsEvent() throws Exception {
        String key = "pp-wh-pending-" + RUN;
        assertThat(stack.pay(key, 1_000, SandboxProvider.PM_REFUND_PENDING).statusCode())
                .isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        assertThat(Await.until(() -> "succeeded".equals(stack.get(url(id)).getString("status")), 60_000))
                .isTrue();
        assertThat(stack.refund(id, "pp-wh-pending-refund-" + RUN, "{\"amount\":300}")
                        .statusCode())
                .isEqualTo(202);
        String ours = RefundIds.refundId("default", "pp-wh-pending-refund-" + RUN);
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM refunds WHERE status = 'refunding' AND provider_ref IS NOT NULL"
                                + " AND refund_id = '" + ours + "'",
                        1,
                        60_000))
                .isEqualTo(1);
        String atPayPal = stack.pg.text("SELECT provider_ref FROM refunds WHERE refund_id = '" + ours + "'");
        // As PayPal announces it: the refund resource, whose custom_id is our refund id (the adapter's).
        String event = trigger(
                "PAYMENT.CAPTURE.REFUNDED",
                atPayPal,
                refund(capture(id), "3.00").put("custom_id", ours));
        assertThat(Await.until(() -> stack.get(url(id)).getLong("amount_refunded") == 300L, 60_000))
                .as("decided by its event: %s", stack.get(url(id)))
                .isTrue();
        assertThat(stack.pg.text("SELECT outcome FROM webhook_applications WHERE event_id = '" + event + "'"))
                .isEqualTo("applied");
        double duplicates = probe.applied("duplicate");
        probe.redeliver(event, 3);
        probe.awaitApplied("duplicate", duplicates + 3);
        assertThat(stack.pg.text("SELECT status FROM refunds WHERE refund_id = '" + ours + "'"))
                .isEqualTo("succeeded");
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE refund_id = '" + ours + "'"))
                .isEqualTo(1);
        assertThat(probe.outcomes(Topics.REFUND_RESULTS, id))
                .as("one refund outcome")
                .hasSize(1);
        // The sandbox completed the refund it announced: the ledger and Transaction Search agree.
        ReconcileReport report = stack.reconcilePayPal();
        assertThat(WebhookProbe.refundBreaks(report, id)).as(report.table()).isEmpty();
        assertThat(sandboxRefunded(capture(id))).isEqualTo(300);
    }

    @Test
    void aDisputeCreatedThenResolvedIsShownWithItsFinalStatus() throws Exception {
        String id = stack.paid("pp-wh-dispute-" + RUN, 2_000);
        String dispute = "PP-D-" + RUN;
        JsonObject resource = new JsonObject()
                .put("id", null)
                .put("dispute_id", dispute)
                .put("reason", "MERCHANDISE_OR_SERVICE_NOT_RECEIVED")
                .put("status", "OPEN")
                .put(
                        "dispute_amount",
                        new JsonObject().put("currency_code", "USD").put("value", "20.00"))
                .put(
                        "disputed_transactions",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("seller_transaction_id", capture(id))
                                        .put("custom", id)));
        double stale = probe.applied("stale");
        double duplicates = probe.applied("duplicate");
        String created = trigger("CUSTOMER.DISPUTE.CREATED", dispute, resource);
        assertThat(Await.until(() -> stack.get(url(id)).getJsonArray("disputes").size() == 1, 60_000))
                .isTrue();
        assertThat(stack.get(url(id)).getJsonArray("disputes").getJsonObject(0).getString("status"))
                .isEqualTo("open");
        trigger(
                "CUSTOMER.DISPUTE.RESOLVED",
                dispute,
                resource.copy()
                        .put("status", "RESOLVED")
                        .put("dispute_outcome", new JsonObject().put("outcome_code", "RESOLVED_SELLER_FAVOUR")));
        assertThat(Await.until(
                        () -> stack.get(url(id))
                                .getJsonArray("disputes")
                                .getJsonObject(0)
                                .getBoolean("closed"),
                        60_000))
                .isTrue();
        // An update older than the resolution, arriving after it, and the creation again: nothing changes.
        double before = probe.processed();
        trigger("CUSTOMER.DISPUTE.UPDATED", dispute, resource.copy().put("status", "UNDER_REVIEW"));
        probe.redeliver(created, 3);
        probe.awaitProcessed(before, 4);
        JsonArray disputes = stack.get(url(id)).getJsonArray("disputes");
        assertThat(disputes).hasSize(1);
        JsonObject d = disputes.getJsonObject(0);
        assertThat(d.getString("id")).isEqualTo(dispute);
        assertThat(d.getString("status")).as("who won, not only resolved").isEqualTo("resolved_seller_favour");
        assertThat(d.getString("reason")).isEqualTo("MERCHANDISE_OR_SERVICE_NOT_RECEIVED");
        assertThat(d.getLong("amount")).isEqualTo(2_000L);
        assertThat(d.getString("closed_at")).isNotNull();
        assertThat(stack.get(url(id)).getString("status")).isEqualTo("succeeded");
        assertThat(probe.applied("stale")).isEqualTo(stale + 1);
        assertThat(probe.applied("duplicate")).isEqualTo(duplicates + 3);
    }

    @Test
    void aForgedDeliveryIsRefusedAndChangesNothing() throws Exception {
        String id = stack.paid("pp-wh-forged-" + RUN, 500);
        String capture = capture(id);
        JsonObject answer = stack.paypalWebhook(new JsonObject()
                .put("type", "PAYMENT.CAPTURE.REFUNDED")
                .put("capture", "REFFORGED" + RUN)
                .put("forged", true)
                .put("object", refund(capture, "5.00")));
        String event = answer.getString("id");
        // Refused at every one of PayPal's attempts: PayPal's verification says FAILURE.
        assertThat(answer.getJsonArray("statuses").getList())
                .as(answer.encode())
                .isNotEmpty()
                .containsOnly(400);
        assertThat(stack.pg.count("SELECT count(*) FROM webhook_events WHERE event_id = '" + event + "'"))
                .isZero();
        assertThat(probe.records(event, false))
                .as("nothing published, not even uncommitted")
                .isEmpty();
        assertThat(stack.get(url(id)).getLong("amount_refunded")).isZero();
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND payment_id = '" + id + "'"))
                .isZero();
        // Not PayPal's: the sandbox made no refund either.
        assertThat(sandboxRefunded(capture)).isZero();
    }
}
