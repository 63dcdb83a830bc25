package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.events.PaymentStatus;

/** A ledger row as the planner needs it: who claimed it, and where it stands. */
public record StoredPayment(
        String paymentId,
        String tenant,
        String idempotencyKey,
        String requestHash,
        long amount,
        String currency,
        PaymentStatus status,
        int sourcePartition,
        long sourceOffset,
        String failureCode,
        String providerRef,
        long decidedAtMs) {

    public boolean claimedBy(InputRecord r) {
        return sourcePartition == r.partition() && sourceOffset == r.offset();
    }
}
