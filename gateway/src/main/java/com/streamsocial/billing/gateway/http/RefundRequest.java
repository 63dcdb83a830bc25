package com.streamsocial.billing.gateway.http;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.refund.RefundReason;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A valid {@code POST /v1/payments/{id}/refunds}: what the client asked for, before the decision
 * resolves "the rest". Its {@link #requestHash} tells a retry from another request under the same key.
 */
public record RefundRequest(
        String tenant,
        String paymentId,
        String idempotencyKey,
        OptionalLong amountMinor,
        Optional<RefundReason> reason) {

    public String refundId() {
        return RefundIds.refundId(tenant, idempotencyKey);
    }

    /** SHA-256 of the canonical request: the payment, the amount asked (or {@code rest}) and the reason. */
    public String requestHash() {
        return PaymentIds.fingerprint("refund|" + paymentId + '|'
                + (amountMinor.isPresent() ? Long.toString(amountMinor.getAsLong()) : "rest") + '|'
                + reason.map(RefundReason::wire).orElse("-"));
    }
}
