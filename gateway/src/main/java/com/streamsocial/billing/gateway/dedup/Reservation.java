package com.streamsocial.billing.gateway.dedup;

/**
 * What the intents table said when a request tried to reserve its payment id. When {@code inserted}
 * is false, the other fields describe the row that was already there ({@code existingHash} is null
 * when that row was reserved by a concurrent transaction not yet visible).
 */
public record Reservation(
        String paymentId,
        boolean inserted,
        String existingHash,
        String existingState,
        long existingAgeMs,
        String ledgerStatus,
        String failureCode) {

    public static Reservation fresh(String paymentId) {
        return new Reservation(paymentId, true, null, null, 0, null, null);
    }
}
