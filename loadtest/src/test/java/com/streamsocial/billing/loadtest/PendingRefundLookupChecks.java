package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A refund the provider leaves pending, looked up later by its provider id and decided once (issue
 * 21), on a real broker and PostgreSQL with the sandbox as the provider: {@link #kind()} says which of
 * its APIs. The sweep runs every 300 ms with a 100 ms first back-off, so that a test waits little.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PendingRefundLookupChecks {
    private final String run = Long.toString(System.nanoTime(), 36);
    private final HttpClient http = HttpClient.newHttpClient();
    private ProviderStack stack;
    private Processor processor;

    /** {@code stripe} or {@code paypal}: the processor's {@code provider.kind}. */
    abstract String kind();

    /** How many refunds the sandbox made of the payment {@code paymentId}, pending ones included. */
    abstract long sandboxRefunds(ProviderStack stack, String paymentId);

    /** How many of them the provider's settlement report (balance transactions, Transaction Search) lists. */
    abstract long reportedRefunds(ProviderStack stack, String paymentId);

    /** Reconciliation of the last hour against the provider's own report, without repair. */
    abstract ReconcileReport reconcile(ProviderStack stack) throws Exception;

    @BeforeAll
    void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        Map<String, String> props = new HashMap<>(ProviderStack.QUICK_RETRIES);
        props.put("provider.kind", kind());
        props.put("processor.pendingRefundCheckMs", "300");
        props.put("processor.pendingRefundBackoffMs", "100");
        processor = stack.startProcessor(props);
    }

    @AfterAll
    void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    private String paidRefundPending(String key, long amount) throws Exception {
        assertThat(stack.pay(key, amount, SandboxProvider.PM_REFUND_PENDING).statusCode())
                .isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        assertThat(Await.until(() -> "succeeded".equals(payment(id).getString("status")), 60_000))
                .as("payment %s succeeded", id)
                .isTrue();
        return id;
    }

    private JsonObject payment(String id) throws Exception {
        return stack.get(stack.baseUrl() + "/v1/payments/" + id);
    }

    private JsonObject refundView(String paymentId, String refundId) throws Exception {
        return stack.get(stack.baseUrl() + "/v1/payments/" + paymentId + "/refunds/" + refundId);
    }

    /** A refund of {@code body} accepted, left pending at the provider and looked up there at least once. */
    private String[] pendingRefund(String paymentId, String key, String body) throws Exception {
        HttpResponse<String> r = stack.refund(paymentId, key, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String refundId = new JsonObject(r.body()).getString("id");
        // attempts: 1 at the claim, one more per look-up; 3 means looked up twice and still pending.
        assertThat(Await.until(
                        () -> stack.pg.count("SELECT count(*) FROM refunds WHERE refund_id = '" + refundId
                                        + "' AND status = 'refunding' AND provider_ref IS NOT NULL AND attempts >= 3")
                                == 1,
                        60_000))
                .as("refund %s pending at the provider and looked up", refundId)
                .isTrue();
        assertThat(refundView(paymentId, refundId).getString("status")).isEqualTo("pending");
        assertThat(outcomes(refundId)).as("no outcome while pending").isZero();
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE refund_id = '" + refundId + "'"))
                .isZero();
        String ref = stack.pg.text("SELECT provider_ref FROM refunds WHERE refund_id = '" + refundId + "'");
        return new String[] {refundId, ref};
    }

    private void settle(String providerRef, String status) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(stack.sandboxUrl() + "/sandbox/refunds/" + providerRef))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"status\":\"" + status + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private void decided(String paymentId, String refundId, String status) throws Exception {
        assertThat(Await.until(
                        () -> status.equals(refundView(paymentId, refundId).getString("status")), 60_000))
                .as("refund %s %s: %s", refundId, status, refundView(paymentId, refundId))
                .isTrue();
        assertThat(Await.until(() -> outcomes(refundId) >= 1, 60_000))
                .as("an outcome of %s", refundId)
                .isTrue();
    }

    /** Outcomes of {@code refundId} on payments.refund-results, read_committed, read to the end. */
    private long outcomes(String refundId) {
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
    void aPendingRefundThatSucceedsLaterIsDecidedOnceWithOneProviderRefund() throws Exception {
        String id = paidRefundPending("pending-ok-" + run, 1_000);
        String[] refund = pendingRefund(id, "pr1-" + run, "{\"amount\":400}");
        assertThat(reportedRefunds(stack, id))
                .as("not in the settlement report while pending")
                .isZero();

        settle(refund[1], "succeeded");
        decided(id, refund[0], "succeeded");
        assertThat(outcomes(refund[0])).as("one outcome").isEqualTo(1);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND refund_id = '"
                        + refund[0] + "' AND amount = -400"))
                .isEqualTo(1);
        assertThat(payment(id).getLong("amount_refunded")).isEqualTo(400L);
        assertThat(sandboxRefunds(stack, id))
                .as("one refund made at the provider")
                .isEqualTo(1);
        assertThat(reportedRefunds(stack, id))
                .as("in the settlement report once succeeded")
                .isEqualTo(1);
        assertThat(stack.pg.text(
                        "SELECT status || ' ' || provider_ref FROM refunds WHERE refund_id = '" + refund[0] + "'"))
                .isEqualTo("succeeded " + refund[1]);
        ReconcileReport report = reconcile(stack);
        assertThat(report.ids(BreakClass.REFUND_MISMATCH)).as(report.table()).doesNotContain(id);
    }

    @Test
    void aPendingRefundThatFailsLaterFreesItsAmountForAnotherRefund() throws Exception {
        String id = paidRefundPending("pending-fail-" + run, 1_000);
        String[] refund = pendingRefund(id, "pf1-" + run, "{\"amount\":600}");

        settle(refund[1], "failed");
        decided(id, refund[0], "failed");
        assertThat(outcomes(refund[0])).as("one outcome").isEqualTo(1);
        assertThat(refundView(id, refund[0]).getString("failure_code")).isNotNull();
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE refund_id = '" + refund[0] + "'"))
                .isZero();
        assertThat(payment(id).getLong("amount_refunded")).isZero();
        assertThat(reportedRefunds(stack, id)).isZero();

        // The failed 600 no longer holds: the rest is the whole 1,000, pending again, then succeeded.
        String[] rest = pendingRefund(id, "pf2-" + run, null);
        assertThat(refundView(id, rest[0]).getLong("amount")).isEqualTo(1_000L);
        settle(rest[1], "succeeded");
        decided(id, rest[0], "succeeded");
        assertThat(payment(id).getLong("amount_refunded")).isEqualTo(1_000L);
        assertThat(sandboxRefunds(stack, id)).as("the failed one and the rest").isEqualTo(2);
        assertThat(reportedRefunds(stack, id)).isEqualTo(1);
        ReconcileReport report = reconcile(stack);
        assertThat(report.ids(BreakClass.REFUND_MISMATCH)).as(report.table()).doesNotContain(id);
    }
}
