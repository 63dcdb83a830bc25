package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Provider webhooks applied by the processor (issue 21 §2), end to end on a real broker and
 * PostgreSQL: the sandbox signs and sends Stripe events to the gateway's real endpoint, the gateway
 * verifies, dedups and publishes them, the processor applies each once. A payment left processing is
 * decided with one outcome; a dashboard refund becomes one ledger entry within what was captured; a
 * dispute is shown on GET; an event about an unknown payment is recorded and counted, nothing applied;
 * records redelivered (published again past the gateway, as a crash between its commits would) and
 * events out of order change nothing twice.
 */
class WebhookApplyIT {
    private static final String SECRET = "whsec_webhook_apply_it";
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;
    private static Processor processor;
    private static WebhookProbe probe;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.startWithWebhooks(SandboxFaults.NONE, SECRET);
        processor = stack.startProcessor(ProviderStack.QUICK_RETRIES);
        probe = new WebhookProbe(stack, processor);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    private static JsonObject trigger(String type, String objectId, String paymentId, JsonObject object)
            throws Exception {
        JsonObject t = new JsonObject()
                .put("type", type)
                .put("payment_intent", objectId)
                .put("event_id", "evt_" + type.replace('.', '_') + "_" + objectId + "_" + System.nanoTime());
        if (paymentId != null) {
            t.put("payment_id", paymentId);
        }
        if (object != null) {
            t.put("object", object);
        }
        JsonObject answer = stack.stripeWebhook(t);
        assertThat(answer.getJsonArray("statuses").getList())
                .as(answer.encode())
                .containsOnly(200);
        return answer;
    }

    private static String url(String id) {
        return stack.baseUrl() + "/v1/payments/" + id;
    }

    /** A payment the sandbox leaves processing: accepted, charged, and left charging; its intent. */
    private static String processing(String key) throws Exception {
        assertThat(stack.pay(key, 1_500, SandboxProvider.PM_PROCESSING).statusCode())
                .isEqualTo(202);
        String id = com.streamsocial.billing.events.PaymentIds.paymentId("default", key);
        assertThat(stack.pg.awaitCount(
                        "SELECT count(*) FROM payments WHERE status = 'charging' AND provider_intent IS NOT NULL"
                                + " AND payment_id = '" + id + "'",
                        1,
                        60_000))
                .isEqualTo(1);
        assertThat(stack.get(url(id)).getString("status")).isEqualTo("pending");
        return id;
    }

    @Test
    void aProcessingPaymentIsDecidedByItsWebhookOnceThroughRedeliveriesAndLaterEvents() throws Exception {
        String id = processing("wh-processing-" + RUN);
        String intent = stack.pg.text("SELECT provider_intent FROM payments WHERE payment_id = '" + id + "'");
        double stale = probe.applied("stale");
        double duplicates = probe.applied("duplicate");

        String succeeded = trigger("payment_intent.succeeded", intent, id, null).getString("id");
        assertThat(Await.until(() -> "succeeded".equals(stack.get(url(id)).getString("status")), 60_000))
                .as("decided by the event: %s", stack.get(url(id)))
                .isTrue();
        // Out of order: a failure after the success changes nothing.
        double before = probe.processed();
        trigger("payment_intent.payment_failed", intent, id, null);
        // Redelivered 3 times past the gateway's dedup: applied once.
        probe.redeliver(succeeded, 3);
        probe.awaitProcessed(before, 4);

        assertThat(stack.get(url(id)).getString("status")).isEqualTo("succeeded");
        List<JsonObject> outcomes = probe.outcomes(Topics.RESULTS, id);
        assertThat(outcomes).as("exactly one outcome").hasSize(1);
        assertThat(outcomes.get(0).getString("status")).isEqualTo("succeeded");
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = '" + id + "'"))
                .isEqualTo(1);
        assertThat(probe.applied("stale")).isEqualTo(stale + 1);
        assertThat(probe.applied("duplicate")).isEqualTo(duplicates + 3);
    }

    @Test
    void aFailureFirstIsFinalAndALaterSuccessDoesNotFlipIt() throws Exception {
        String id = processing("wh-failed-first-" + RUN);
        String intent = stack.pg.text("SELECT provider_intent FROM payments WHERE payment_id = '" + id + "'");
        double stale = probe.applied("stale");
        trigger("payment_intent.payment_failed", intent, id, null);
        assertThat(Await.until(() -> "failed".equals(stack.get(url(id)).getString("status")), 60_000))
                .isTrue();
        double before = probe.processed();
        trigger("payment_intent.succeeded", intent, id, null);
        probe.awaitProcessed(before, 1);
        assertThat(stack.get(url(id)).getString("status")).isEqualTo("failed");
        assertThat(probe.outcomes(Topics.RESULTS, id))
                .extracting(o -> o.getString("status"))
                .containsExactly("failed");
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE payment_id = '" + id + "'"))
                .isZero();
        assertThat(probe.applied("stale")).isEqualTo(stale + 1);
    }

    @Test
    void aDashboardRefundIsOneLedgerEntryWithinWhatWasCaptured() throws Exception {
        String id = stack.paid("wh-refund-" + RUN, 1_000);
        String charge = stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + id + "'");
        String refund = "re_dash_" + RUN;
        JsonObject object = new JsonObject()
                .put("amount", 400)
                .put("currency", "usd")
                .put("status", "succeeded")
                .put("charge", charge);
        double applied = probe.applied("applied");
        double stale = probe.applied("stale");
        double duplicates = probe.applied("duplicate");
        double exceeded = probe.applied("bound_exceeded");
        // No payment id: found by its charge, as Stripe's refund objects name it.
        String created = trigger("refund.created", refund, null, object).getString("id");
        probe.awaitApplied("applied", applied + 1);
        JsonObject payment = stack.get(url(id));
        assertThat(payment.getLong("amount_refunded")).as(payment.encode()).isEqualTo(400L);
        JsonArray refunds = payment.getJsonArray("refunds");
        assertThat(refunds).hasSize(1);
        assertThat(refunds.getJsonObject(0).getString("id")).isEqualTo(refund);
        assertThat(refunds.getJsonObject(0).getString("status")).isEqualTo("succeeded");

        probe.redeliver(created, 2);
        probe.awaitApplied("duplicate", duplicates + 2);
        // The same refund again, in the charge's list: already recorded.
        trigger(
                "charge.refunded",
                charge,
                id,
                new JsonObject()
                        .put(
                                "refunds",
                                new JsonObject()
                                        .put(
                                                "data",
                                                new JsonArray()
                                                        .add(object.copy().put("id", refund)))));
        probe.awaitApplied("stale", stale + 1);
        // Beyond what remains (600): nothing recorded, counted as a break.
        double before = probe.processed();
        trigger("refund.created", "re_over_" + RUN, id, object.copy().put("amount", 601));
        probe.awaitProcessed(before, 1);

        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND payment_id = '" + id + "'"))
                .as("one refund entry")
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT sum(amount) FROM ledger_entries WHERE payment_id = '" + id + "'"))
                .isEqualTo(600);
        assertThat(stack.get(url(id)).getLong("amount_refunded")).isEqualTo(400L);
        assertThat(probe.applied("bound_exceeded")).isEqualTo(exceeded + 1);
        // The refund charge.refunded announced is in the sandbox's own records, once: its settlement
        // report (balance transactions) agrees with the ledger, so reconciliation finds no break.
        ReconcileReport report = stack.reconcile(false, 0);
        assertThat(WebhookProbe.refundBreaks(report, id)).as(report.table()).isEmpty();
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.refunds WHERE charge = '" + charge + "'"))
                .isEqualTo(1);
        assertThat(stack.pg.count("SELECT amount_refunded FROM sandbox.charges WHERE id = '" + charge + "'"))
                .isEqualTo(400);
    }

    @Test
    void aRefundOfOursPendingAtTheProviderIsDecidedByItsEventOnce() throws Exception {
        String id = stack.paid("wh-pending-refund-" + RUN, 1_000);
        String charge = stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + id + "'");
        String ours = RefundIds.refundId("default", "pending-" + RUN);
        String atProvider = "re_pending_" + RUN;
        // As the processor leaves a refund the provider answered pending (PendingRefundIT).
        stack.pg.count("WITH i AS (INSERT INTO refunds (refund_id, payment_id, tenant, request_hash, amount, currency,"
                + " status, provider_ref, provider_status, source_partition, source_offset) VALUES ('" + ours + "', '"
                + id + "', 'default', 'h', 300, 'USD', 'refunding', '" + atProvider + "', 'pending', 0, 0)"
                + " RETURNING 1) SELECT count(*) FROM i");
        double stale = probe.applied("stale");
        JsonObject object = new JsonObject()
                .put("amount", 300)
                .put("currency", "usd")
                .put("status", "succeeded")
                .put("charge", charge);
        String updated = trigger("refund.updated", atProvider, null, object).getString("id");
        assertThat(Await.until(() -> stack.get(url(id)).getLong("amount_refunded") == 300L, 60_000))
                .as("decided: %s", stack.get(url(id)))
                .isTrue();
        assertThat(stack.get(url(id)).getJsonArray("refunds").getJsonObject(0).getString("id"))
                .isEqualTo(ours);
        // A later failure of the same refund, and the same event again: nothing changes.
        trigger("refund.updated", atProvider, null, object.copy().put("status", "failed"));
        probe.awaitApplied("stale", stale + 1);
        double duplicates = probe.applied("duplicate");
        probe.redeliver(updated, 1);
        probe.awaitApplied("duplicate", duplicates + 1);
        assertThat(stack.pg.text("SELECT status FROM refunds WHERE refund_id = '" + ours + "'"))
                .isEqualTo("succeeded");
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE refund_id = '" + ours + "'"))
                .isEqualTo(1);
        long outcomes = probe.outcomes(Topics.REFUND_RESULTS, id).size();
        assertThat(outcomes).as("one refund outcome").isEqualTo(1);
    }

    @Test
    void aDisputeCreatedThenClosedIsShownWithItsFinalStatus() throws Exception {
        String id = stack.paid("wh-dispute-" + RUN, 2_000);
        String dispute = "dp_" + RUN;
        JsonObject object = new JsonObject()
                .put("amount", 2_000)
                .put("currency", "usd")
                .put("reason", "fraudulent")
                .put("status", "needs_response");
        double stale = probe.applied("stale");
        trigger("charge.dispute.created", dispute, id, object);
        assertThat(Await.until(() -> stack.get(url(id)).getJsonArray("disputes").size() == 1, 60_000))
                .isTrue();
        assertThat(stack.get(url(id)).getJsonArray("disputes").getJsonObject(0).getString("status"))
                .isEqualTo("needs_response");
        trigger("charge.dispute.closed", dispute, id, object.copy().put("status", "lost"));
        assertThat(Await.until(
                        () -> stack.get(url(id))
                                .getJsonArray("disputes")
                                .getJsonObject(0)
                                .getBoolean("closed"),
                        60_000))
                .isTrue();
        // An update older than the close, arriving after it: nothing changes.
        double before = probe.processed();
        trigger("charge.dispute.updated", dispute, id, object.copy().put("status", "under_review"));
        probe.awaitProcessed(before, 1);
        JsonObject d = stack.get(url(id)).getJsonArray("disputes").getJsonObject(0);
        assertThat(d.getString("id")).isEqualTo(dispute);
        assertThat(d.getString("status")).isEqualTo("lost");
        assertThat(d.getString("reason")).isEqualTo("fraudulent");
        assertThat(d.getLong("amount")).isEqualTo(2_000L);
        assertThat(d.getString("closed_at")).isNotNull();
        assertThat(stack.get(url(id)).getString("status")).isEqualTo("succeeded");
        assertThat(probe.applied("stale")).isEqualTo(stale + 1);
    }

    @Test
    void anEventAboutAnUnknownPaymentIsRecordedAndCountedAndAppliesNothing() throws Exception {
        double unknown = probe.applied("unknown_object");
        double malformed = probe.applied("malformed");
        long payments = stack.pg.count("SELECT count(*) FROM payments");
        long entries = stack.pg.count("SELECT count(*) FROM ledger_entries");
        String event = trigger("payment_intent.succeeded", "pi_unknown_" + RUN, null, null)
                .getString("id");
        assertThat(Await.until(
                        () -> stack.pg.count(
                                        "SELECT count(*) FROM webhook_applications WHERE event_id = '" + event + "'")
                                == 1,
                        60_000))
                .isTrue();
        assertThat(stack.pg.text("SELECT outcome FROM webhook_applications WHERE event_id = '" + event + "'"))
                .isEqualTo("unknown_object");
        probe.awaitApplied("unknown_object", unknown + 1);
        // A refund event without an amount: recorded as malformed, the loop goes on.
        String bad = trigger("refund.created", "re_bad_" + RUN, null, new JsonObject().put("currency", "usd"))
                .getString("id");
        probe.awaitApplied("malformed", malformed + 1);
        assertThat(stack.pg.text("SELECT outcome FROM webhook_applications WHERE event_id = '" + bad + "'"))
                .isEqualTo("malformed");
        assertThat(stack.pg.count("SELECT count(*) FROM payments")).isEqualTo(payments);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries")).isEqualTo(entries);
        assertThat(stack.pg.count("SELECT count(*) FROM webhook_applications WHERE outcome = 'applied'"
                        + " AND event_id IN ('" + event + "', '" + bad + "')"))
                .isZero();
    }
}
