package com.streamsocial.billing.processor.psp;

import io.vertx.core.Future;
import java.util.List;

/**
 * The port to the provider's refunds (issue 21 §1), apart from {@link PaymentProvider} so that the
 * charge path and its decorators stay as they are. An adapter is idempotent per {@link
 * RefundCall#refundId()}: its provider key derives from it alone, so a call made again returns the
 * first answer and never refunds twice.
 */
public interface RefundProvider {

    /**
     * One refund: {@code chargeRef} is the payment's provider object (Stripe's charge or payment intent,
     * PayPal's capture); {@code reason} a {@link com.streamsocial.billing.refund.RefundReason} wire name or null.
     */
    record RefundCall(
            String refundId,
            String paymentId,
            String tenant,
            long amountMinor,
            String currency,
            String chargeRef,
            String reason) {}

    /** A final answer: refunded ({@code providerRef} names the provider's refund) or refused with a code. */
    record RefundResult(String refundId, boolean succeeded, String providerRef, String failureCode) {}

    /** Each call's final answer, in order; fails (the batch is read again) if any answer is unknown. */
    Future<List<RefundResult>> refund(List<RefundCall> calls);
}
