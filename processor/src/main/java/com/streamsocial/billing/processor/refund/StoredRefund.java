package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.refund.RefundOutcomeEvent;
import com.streamsocial.billing.refund.RefundPlanner;
import com.streamsocial.billing.refund.RefundState;

/** A refund as the processor's {@code refunds} table holds it: its claim and, once final, its outcome. */
public record StoredRefund(
        String refundId,
        String paymentId,
        String tenant,
        String requestHash,
        long amountMinor,
        String currency,
        RefundState state,
        String failureCode,
        String providerRef,
        long decidedAtMs,
        int partition,
        long offset) {

    public RefundPlanner.Stored planned() {
        return new RefundPlanner.Stored(refundId, paymentId, requestHash, amountMinor, state, partition, offset);
    }

    /** Its outcome event; only for a final refund. */
    public RefundOutcomeEvent outcome() {
        return new RefundOutcomeEvent(
                refundId, paymentId, tenant, state, amountMinor, currency, failureCode, providerRef, decidedAtMs);
    }
}
