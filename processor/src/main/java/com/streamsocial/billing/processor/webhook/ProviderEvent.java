package com.streamsocial.billing.processor.webhook;

import java.util.List;

/**
 * What a provider's webhook event says, in the pipeline's terms, once decoded ({@link WebhookDecoder}):
 * a payment decided, refunds seen, a dispute's state, or a type the processor does not apply. Each is
 * about a payment named by our payment id (when the provider carries it) or by the provider's ids.
 */
public sealed interface ProviderEvent {
    PaymentRef payment();

    /**
     * The payment an event is about: our id when the provider echoes it (Stripe's {@code
     * metadata.payment_id}, PayPal's {@code custom_id}), else the provider's ids of it (intent, charge,
     * capture), which the ledger keeps as {@code provider_intent} and {@code provider_ref}.
     */
    record PaymentRef(String paymentId, List<String> providerIds) {
        public PaymentRef {
            providerIds = List.copyOf(providerIds);
        }
    }

    /** The payment succeeded or failed at the provider. */
    record PaymentDecided(PaymentRef payment, boolean succeeded, String providerRef, String failureCode)
            implements ProviderEvent {}

    /** Refunds of the payment as the provider reports them (one per refund id). */
    record RefundsSeen(PaymentRef payment, List<Refund> refunds) implements ProviderEvent {
        public RefundsSeen {
            refunds = List.copyOf(refunds);
        }
    }

    /** One refund at the provider: its id there, amount in minor units, and where it stands. */
    record Refund(String providerRefundId, long amountMinor, String currency, RefundStatus status) {}

    /** A provider refund's state, in the pipeline's terms. */
    enum RefundStatus {
        SUCCEEDED,
        PENDING,
        FAILED
    }

    /** A dispute's state: the provider's status text, and whether the provider closed it. */
    record Dispute(
            PaymentRef payment,
            String disputeId,
            long amountMinor,
            String currency,
            String reason,
            String status,
            boolean closed)
            implements ProviderEvent {}
}
