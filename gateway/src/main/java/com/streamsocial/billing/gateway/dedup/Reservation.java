package com.streamsocial.billing.gateway.dedup;

/**
 * What the intents table said when a request tried to reserve its payment id. When {@code inserted}
 * is false, the other fields describe the row that was already there ({@code existingHash} is null
 * when that row was reserved by a concurrent transaction not yet visible). {@code customerOwner} and
 * {@code methodOwner}: the owning tenants the registry answered for the ids the request claimed
 * (null when it claimed none, or the id is unregistered); a request whose tenant does not own both is
 * never inserted.
 */
public record Reservation(
        String paymentId,
        boolean inserted,
        String existingHash,
        String existingState,
        long existingAgeMs,
        String ledgerStatus,
        String failureCode,
        String customerOwner,
        String methodOwner) {

    public Reservation(
            String paymentId,
            boolean inserted,
            String existingHash,
            String existingState,
            long existingAgeMs,
            String ledgerStatus,
            String failureCode) {
        this(paymentId, inserted, existingHash, existingState, existingAgeMs, ledgerStatus, failureCode, null, null);
    }

    /**
     * The same answer, with the existing row read as accepted: for an id this process committed to
     * Kafka whose mark the statement could not see yet. Everything else is kept, the owners included
     * (a copy without them would read as "not owned" and refuse the retry 422).
     */
    public Reservation readAsAccepted() {
        return new Reservation(
                paymentId,
                false,
                existingHash,
                "accepted",
                existingAgeMs,
                ledgerStatus,
                failureCode,
                customerOwner,
                methodOwner);
    }

    public static Reservation fresh(String paymentId) {
        return new Reservation(paymentId, true, null, null, 0, null, null);
    }
}
