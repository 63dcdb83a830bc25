package com.streamsocial.billing.gateway.dedup;

/**
 * Decides what a request does with the result of its reservation, following the IETF
 * Idempotency-Key draft and Stripe. Pure: the reservation timeout is passed in.
 */
public final class IdempotencyDecision {
    private IdempotencyDecision() {}

    public enum Kind {
        /** A new payment: publish it. */
        PUBLISH,
        /** Same key, same request, already accepted: answer with the stored payment. */
        REPLAY,
        /** Same key, same request, first attempt still in flight: 409. */
        IN_FLIGHT,
        /** Same key, different request: 422. */
        KEY_REUSED,
        /**
         * Same key, same request, reserved by an attempt that never finished (its gateway died): the
         * reservation is older than any transaction can live, so this request may take it over.
         */
        TAKE_OVER
    }

    public static Kind decide(String requestHash, Reservation r, long reservationTimeoutMs) {
        if (r.inserted()) {
            return Kind.PUBLISH;
        }
        if (r.existingHash() == null) {
            // Reserved by a concurrent transaction that our snapshot cannot see yet.
            return Kind.IN_FLIGHT;
        }
        if (!r.existingHash().equals(requestHash)) {
            return Kind.KEY_REUSED;
        }
        if ("accepted".equals(r.existingState()) || r.ledgerStatus() != null) {
            return Kind.REPLAY;
        }
        return r.existingAgeMs() >= reservationTimeoutMs ? Kind.TAKE_OVER : Kind.IN_FLIGHT;
    }
}
