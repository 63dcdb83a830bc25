package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.processor.reconcile.ProviderAccount;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;

/**
 * {@link PendingRefundLookupChecks} through PayPal's API: {@code POST /v2/payments/captures/{id}/refund}
 * answered {@code PENDING}, then {@code GET /v2/payments/refunds/{id}}; the report is Transaction
 * Search's refund lines (T1107), which the sandbox lists only for {@code COMPLETED} refunds.
 */
class PayPalPendingRefundLookupIT extends PendingRefundLookupChecks {
    @Override
    String kind() {
        return "paypal";
    }

    @Override
    long sandboxRefunds(ProviderStack stack, String paymentId) {
        return stack.pg.count("SELECT count(*) FROM sandbox.paypal_refunds r"
                + " JOIN sandbox.paypal_captures c ON c.id = r.capture_id WHERE c.custom_id = '" + paymentId + "'");
    }

    @Override
    long reportedRefunds(ProviderStack stack, String paymentId) {
        return stack.pg.count("SELECT count(*) FROM sandbox.paypal_refunds r"
                + " JOIN sandbox.paypal_captures c ON c.id = r.capture_id WHERE c.custom_id = '" + paymentId
                + "' AND r.status = 'COMPLETED'");
    }

    @Override
    ReconcileReport reconcile(ProviderStack stack) throws Exception {
        return stack.reconcile(
                false, 0, ProviderAccount.paypal(stack.sandboxUrl(), "sandbox-client-id", "sandbox-client-secret"));
    }
}
