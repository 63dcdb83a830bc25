package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.processor.reconcile.ReconcileReport;

/**
 * {@link PendingRefundLookupChecks} through Stripe's API: {@code POST /v1/refunds} answered {@code
 * pending}, then {@code GET /v1/refunds/{id}}; the report is the balance transactions.
 */
class PendingRefundLookupIT extends PendingRefundLookupChecks {
    @Override
    String kind() {
        return "stripe";
    }

    @Override
    long sandboxRefunds(ProviderStack stack, String paymentId) {
        return stack.pg.count("SELECT count(*) FROM sandbox.refunds r JOIN sandbox.charges c ON c.id = r.charge"
                + " WHERE c.payment_id = '" + paymentId + "'");
    }

    @Override
    long reportedRefunds(ProviderStack stack, String paymentId) {
        return stack.pg.count("SELECT count(*) FROM sandbox.balance_transactions WHERE type = 'refund'"
                + " AND payment_id = '" + paymentId + "'");
    }

    @Override
    ReconcileReport reconcile(ProviderStack stack) throws Exception {
        return stack.reconcile(false, 0);
    }
}
