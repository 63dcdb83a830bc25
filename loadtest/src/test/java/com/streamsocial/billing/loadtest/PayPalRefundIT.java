package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refunds through the processor's PayPal adapter and the sandbox's PayPal subset, on a real broker and
 * PostgreSQL (issue 21 §1): a partial refund and the rest of a capture, each one PayPal refund of its
 * amount (the sandbox's own rows counted), and nothing left after; reconciliation against the
 * sandbox's Transaction Search finds no break after a whole and after a partial refund.
 */
class PayPalRefundIT {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(ProviderStack.payPalProcessor());
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    @Test
    void aPartialRefundAndTheRestAreOnePayPalRefundEachUpToTheCapture() throws Exception {
        String key = "paypal-refunds-" + RUN;
        assertThat(stack.pay(key, 1_000, "pm_card_visa").statusCode()).isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        String url = stack.baseUrl() + "/v1/payments/" + id;
        assertThat(Await.until(() -> "succeeded".equals(stack.get(url).getString("status")), 60_000))
                .as("payment captured: %s", stack.get(url))
                .isTrue();
        assertThat(stack.refund(id, "pp1-" + RUN, "{\"amount\":300}").statusCode())
                .isEqualTo(202);
        HttpResponse<String> rest = stack.refund(id, "pp2-" + RUN, null);
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(202);
        assertThat(new JsonObject(rest.body()).getLong("amount")).isEqualTo(700L);
        assertThat(Await.until(() -> stack.get(url).getLong("amount_refunded") == 1_000L, 60_000))
                .as("refunded in full: %s", stack.get(url))
                .isTrue();
        String sandboxRefunds = "FROM sandbox.paypal_refunds r JOIN sandbox.paypal_captures c ON c.id = r.capture_id"
                + " WHERE c.custom_id = '" + id + "'";
        assertThat(stack.pg.count("SELECT count(*) " + sandboxRefunds)).isEqualTo(2);
        assertThat(stack.pg.count("SELECT sum(r.amount) " + sandboxRefunds)).isEqualTo(1_000);
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND payment_id = '" + id + "'"))
                .isEqualTo(2);
        assertThat(new JsonObject(stack.refund(id, "pp3-" + RUN, null).body()).getString("type"))
                .endsWith("/payment-fully-refunded");
        // Transaction Search lists both refunds (T1107) of the capture: their sum is the ledger's.
        ReconcileReport report = stack.reconcilePayPal();
        assertThat(report.total()).as(report.table()).isZero();
    }

    @Test
    void aPartlyRefundedCaptureReconcilesCleanAgainstTransactionSearch() throws Exception {
        String key = "paypal-partial-" + RUN;
        assertThat(stack.pay(key, 900, "pm_card_visa").statusCode()).isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        String url = stack.baseUrl() + "/v1/payments/" + id;
        assertThat(Await.until(() -> "succeeded".equals(stack.get(url).getString("status")), 60_000))
                .as("payment captured: %s", stack.get(url))
                .isTrue();
        assertThat(stack.refund(id, "pq1-" + RUN, "{\"amount\":250}").statusCode())
                .isEqualTo(202);
        assertThat(Await.until(() -> stack.get(url).getLong("amount_refunded") == 250L, 60_000))
                .as("refunded in part: %s", stack.get(url))
                .isTrue();
        ReconcileReport report = stack.reconcilePayPal();
        assertThat(report.total()).as(report.table()).isZero();
    }
}
