package com.streamsocial.billing.events;

/** A payment's status as clients see it and as the ledger records it. */
public enum PaymentStatus {
    /** Accepted by the gateway (its Kafka transaction committed); not processed yet. */
    PENDING("pending", false),
    /** Claimed by a processor, before the provider is called. */
    CLAIMED("claimed", false),
    /** The provider is being called; attempts are counted. */
    CHARGING("charging", false),
    SUCCEEDED("succeeded", true),
    FAILED("failed", true);

    private final String wire;
    private final boolean isFinal;

    PaymentStatus(String wire, boolean isFinal) {
        this.wire = wire;
        this.isFinal = isFinal;
    }

    public String wire() {
        return wire;
    }

    public boolean isFinal() {
        return isFinal;
    }

    /** Clients see claimed and charging as pending: those are internal recovery points. */
    public String publicWire() {
        return isFinal ? wire : PENDING.wire;
    }

    public static PaymentStatus fromWire(String s) {
        for (PaymentStatus v : values()) {
            if (v.wire.equals(s)) {
                return v;
            }
        }
        throw new EventFormatException("unknown status " + s);
    }
}
