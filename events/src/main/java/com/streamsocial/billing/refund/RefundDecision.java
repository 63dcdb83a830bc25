package com.streamsocial.billing.refund;

import java.util.OptionalLong;

/**
 * Whether a refund fits its payment, and for how much: the one rule both the gateway (under the
 * payment's row lock) and the processor (authoritatively, in its own transaction) apply, so that the
 * sum refunded never exceeds what was captured. Pure: no clock, no I/O.
 */
public final class RefundDecision {
    /** The largest amount of one refund, in minor units: a payment's own maximum. */
    public static final long AMOUNT_MAX_MINOR = 99_999_999;

    private RefundDecision() {}

    /** A payment as the decision sees it. */
    public enum PaymentState {
        /** Accepted, not decided yet. */
        PENDING,
        SUCCEEDED,
        FAILED
    }

    /**
     * @param capturedMinor what the provider captured
     * @param heldMinor the amounts of the payment's refunds that are not {@link RefundState#FAILED}
     */
    public record Payment(PaymentState state, long capturedMinor, long heldMinor) {
        public Payment {
            if (state == null || capturedMinor < 0 || heldMinor < 0) {
                throw new IllegalArgumentException("state set, captured and held at least 0");
            }
        }

        /** What may still be refunded; 0 when the refunds already hold it all (or more). */
        public long remainderMinor() {
            return Math.max(0, capturedMinor - heldMinor);
        }
    }

    /** Why a refund is refused: each with its HTTP status, problem slug and failure code. */
    public enum Refusal {
        /** The payment is not decided: it may still succeed, so asking again later can work. */
        PAYMENT_PENDING(409, "payment-pending", "payment_pending"),
        PAYMENT_NOT_REFUNDABLE(422, "payment-not-refundable", "payment_not_refundable"),
        FULLY_REFUNDED(422, "payment-fully-refunded", "payment_fully_refunded"),
        EXCEEDS_REMAINDER(422, "refund-exceeds-remainder", "refund_exceeds_remainder");

        public final int httpStatus;
        public final String slug;
        public final String failureCode;

        Refusal(int httpStatus, String slug, String failureCode) {
            this.httpStatus = httpStatus;
            this.slug = slug;
            this.failureCode = failureCode;
        }
    }

    /** Either the amount to refund or the refusal, with what remained when it was decided. */
    public sealed interface Outcome {
        long remainderMinor();
    }

    public record Accept(long amountMinor, long remainderMinor) implements Outcome {}

    public record Refuse(Refusal why, long remainderMinor) implements Outcome {}

    /** {@code requestedMinor} empty means the rest; present, it must be 1 to {@link #AMOUNT_MAX_MINOR}. */
    public static Outcome decide(Payment payment, OptionalLong requestedMinor) {
        long remainder = payment.remainderMinor();
        if (payment.state() == PaymentState.PENDING) {
            return new Refuse(Refusal.PAYMENT_PENDING, remainder);
        }
        if (payment.state() != PaymentState.SUCCEEDED || payment.capturedMinor() == 0) {
            return new Refuse(Refusal.PAYMENT_NOT_REFUNDABLE, remainder);
        }
        if (remainder == 0) {
            return new Refuse(Refusal.FULLY_REFUNDED, 0);
        }
        if (requestedMinor.isEmpty()) {
            return new Accept(remainder, remainder);
        }
        long requested = requestedMinor.getAsLong();
        if (requested < 1 || requested > AMOUNT_MAX_MINOR) {
            throw new IllegalArgumentException("a requested amount is 1 to " + AMOUNT_MAX_MINOR + ", got " + requested);
        }
        return requested <= remainder
                ? new Accept(requested, remainder)
                : new Refuse(Refusal.EXCEEDS_REMAINDER, remainder);
    }
}
