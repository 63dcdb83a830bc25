package com.streamsocial.billing.processor.psp;

import io.opentelemetry.api.trace.SpanContext;
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
     * PayPal's capture); {@code reason} a {@link com.streamsocial.billing.refund.RefundReason} wire name or null;
     * {@code trace} the trace context the call carries (invalid: none).
     */
    record RefundCall(
            String refundId,
            String paymentId,
            String tenant,
            long amountMinor,
            String currency,
            String chargeRef,
            String reason,
            SpanContext trace) {}

    /**
     * An answer: refunded ({@code providerRef} names the provider's refund), refused with a code, or
     * still pending at the provider ({@code pendingStatus}, its status there; null for a final answer).
     */
    record RefundResult(
            String refundId, boolean succeeded, String providerRef, String failureCode, String pendingStatus) {
        /** A final answer. */
        public RefundResult(String refundId, boolean succeeded, String providerRef, String failureCode) {
            this(refundId, succeeded, providerRef, failureCode, null);
        }

        /** The provider made the refund {@code providerRef} and has not ended it: {@code status} there. */
        public static RefundResult pending(String refundId, String providerRef, String status) {
            return new RefundResult(refundId, false, providerRef, null, status);
        }

        public boolean isPending() {
            return pendingStatus != null;
        }
    }

    /** Each call's answer, final or pending, in order; fails (the batch is read again) if any is unknown. */
    Future<List<RefundResult>> refund(List<RefundCall> calls);

    /**
     * A refund the provider made and left pending, asked about by its provider id {@code providerRef}
     * (never posted again): its amount and currency are checked against the answer.
     */
    record RefundLookup(
            String refundId,
            String paymentId,
            String providerRef,
            long amountMinor,
            String currency,
            SpanContext trace) {
        /** As a call, for the answer's decoder: the same refund id, amount and currency. */
        public RefundCall asCall() {
            return new RefundCall(refundId, paymentId, null, amountMinor, currency, null, null, trace);
        }
    }

    /**
     * Each lookup's answer in order (Stripe {@code GET /v1/refunds/{id}}, PayPal {@code GET
     * /v2/payments/refunds/{id}}): final, or pending still; fails if any answer stays unknown.
     */
    Future<List<RefundResult>> lookup(List<RefundLookup> lookups);
}
