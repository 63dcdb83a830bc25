package com.streamsocial.billing.processor.reconcile;

/**
 * The kinds of disagreement reconciliation finds between the log, the ledger and the provider. A
 * class that is not {@link #counted()} is reported for information only: it is not a break of ours,
 * does not count in the total and does not make the command's exit status non-zero.
 */
public enum BreakClass {
    /**
     * Accepted on payments.billing, with no ledger row after the grace period, though the processor
     * group has committed past its billing records.
     */
    MISSING_IN_LEDGER("missing_in_ledger"),
    /** Decided in the ledger, with no outcome on payments.results, the processor past its records. */
    MISSING_OUTCOME("missing_outcome"),
    /**
     * The ledger says succeeded and records no refund of it; the provider holds no live charge for it
     * (none, or all refunded). A payment the ledger has refunded is compared by {@link
     * #REFUND_MISMATCH} instead.
     */
    MISSING_AT_PROVIDER("missing_at_provider"),
    /** A live charge at the provider for no known payment, carrying this system's marker. */
    ORPHAN_CHARGE("orphan_charge"),
    /**
     * A live charge for no known payment without this system's marker: another system's charge on a
     * shared account. Informational; never repaired.
     */
    FOREIGN_CHARGE("foreign_charge", false),
    /** More than one live charge for one payment. */
    DUPLICATE_CHARGE("duplicate_charge"),
    /** Ledger and provider agree on the currency, not on the amount. */
    AMOUNT_MISMATCH("amount_mismatch"),
    /**
     * The payment's refunds disagree in amount: the ledger's {@code refund} entries (and refund
     * compensations) against the provider's refund lines of the charge the ledger names. A refund at
     * the provider the ledger lacks, or a ledger refund the provider never made; partial refunds are
     * compared by their sums, never taken for a full refund.
     */
    REFUND_MISMATCH("refund_mismatch"),
    /** Ledger and provider hold the money in different currencies. */
    CURRENCY_MISMATCH("currency_mismatch"),
    /** The ledger says failed while the provider charged. */
    STATUS_MISMATCH("status_mismatch"),
    /**
     * The log (the billing event), the ledger and the provider ({@code metadata[tenant]} of the
     * payment's charges) name different tenants for one payment. Never repaired: it means a bug or
     * tampering, and any automatic fix would move a payment, or money, between tenants. Counted.
     */
    TENANT_MISMATCH("tenant_mismatch"),
    /** Claimed or charging for longer than the threshold, the processor past its records. */
    STUCK("stuck"),
    /**
     * A refund {@code refunding} for longer than the stuck-after age since the processor claimed it
     * (the provider left it pending, or its answer stays unknown), or a refund intent accepted that
     * long ago and never claimed. Repaired by a re-drive onto payments.refunds: the processor looks a
     * pending one up by its provider id and posts the others again under the provider key of their
     * refund id, which never makes a second refund; each decided once. Counted.
     */
    STUCK_REFUND("stuck_refund"),
    /**
     * Would be missing_in_ledger, missing_outcome or stuck, but the processor group has not yet
     * committed past one of the payment's billing records: that record will still emit an outcome,
     * so a re-drive would emit a second. Never repaired; counted, because the processor is behind by
     * more than the grace period.
     */
    LAGGING("lagging");

    private final String wire;
    private final boolean counted;

    BreakClass(String wire) {
        this(wire, true);
    }

    BreakClass(String wire, boolean counted) {
        this.wire = wire;
        this.counted = counted;
    }

    public String wire() {
        return wire;
    }

    /** Whether it counts in the total of breaks and in the command's exit status. */
    public boolean counted() {
        return counted;
    }
}
