package com.streamsocial.billing.processor.psp;

import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.Future;
import java.util.List;

/**
 * The port to the payment service provider. An adapter must be idempotent per {@link Charge#paymentId()}:
 * calling it again for the same payment returns the first answer and never charges twice. A charge
 * whose provider object is known ({@link Charge#intentId()}) is asked about, never created again.
 */
public interface PaymentProvider {

    /**
     * One payment to charge; {@code tenant} goes with it so the provider's record names whose it is,
     * {@code intentId} is the provider's object from an earlier, undecided answer (else null), and
     * {@code trace} the trace context its provider calls carry ({@code traceparent}; invalid: none).
     */
    record Charge(
            String paymentId,
            long amount,
            String currency,
            String customerId,
            String paymentMethod,
            String tenant,
            String intentId,
            SpanContext trace) {

        /** A charge outside any trace. */
        public Charge(
                String paymentId,
                long amount,
                String currency,
                String customerId,
                String paymentMethod,
                String tenant,
                String intentId) {
            this(paymentId, amount, currency, customerId, paymentMethod, tenant, intentId, SpanContext.getInvalid());
        }
    }

    /** What an answer says about a payment. */
    enum Verdict {
        /** Money moved as asked: an outcome. */
        SUCCEEDED,
        /** Declined, or refused for this payment's own data: an outcome, never retried. */
        FAILED,
        /** Not final yet (processing, requires_action, ...): no outcome; ask again later. */
        PENDING,
        /** The provider moved a different amount or currency than asked: a break, no outcome. */
        MISMATCH;

        public boolean isFinal() {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    /**
     * The provider's answer for one payment. {@code intentId} names the provider's object to ask
     * about later; {@code detail} says why a non-final answer is not final (its status, or the
     * mismatch).
     */
    record ChargeResult(
            String paymentId, Verdict verdict, String providerRef, String failureCode, String intentId, String detail) {
        public static ChargeResult succeeded(String paymentId, String providerRef, String intentId) {
            return new ChargeResult(paymentId, Verdict.SUCCEEDED, providerRef, null, intentId, null);
        }

        public static ChargeResult failed(String paymentId, String failureCode, String intentId) {
            return new ChargeResult(paymentId, Verdict.FAILED, null, failureCode, intentId, null);
        }

        public static ChargeResult pending(String paymentId, String intentId, String status) {
            return new ChargeResult(paymentId, Verdict.PENDING, null, null, intentId, status);
        }

        public static ChargeResult mismatch(String paymentId, String intentId, String detail) {
            return new ChargeResult(paymentId, Verdict.MISMATCH, null, null, intentId, detail);
        }

        public boolean succeeded() {
            return verdict == Verdict.SUCCEEDED;
        }
    }

    /** Charges each payment; the future fails only if no answer is known for some payment. */
    Future<List<ChargeResult>> charge(List<Charge> charges);

    /**
     * The first step of a provider that charges in two (PayPal: create an order, then capture it),
     * for payments whose provider object is not known yet. Each answer is {@link Verdict#PENDING} with
     * the object the second step charges ({@code intentId}), which the caller stores durably before
     * it calls {@link #charge} with it, or a final or mismatched answer, which ends the payment's
     * charge here. One-step providers make nothing here: an empty list. Not a default method, so
     * that no decorator can drop the step by forgetting to delegate it.
     */
    Future<List<ChargeResult>> prepare(List<Charge> charges);
}
