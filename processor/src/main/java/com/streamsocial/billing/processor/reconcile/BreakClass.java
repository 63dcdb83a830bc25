package com.streamsocial.billing.processor.reconcile;

/** The kinds of disagreement reconciliation finds between the log, the ledger and the provider. */
public enum BreakClass {
    /** Accepted on payments.billing, with no ledger row after the grace period. */
    MISSING_IN_LEDGER("missing_in_ledger"),
    /** Decided in the ledger, with no outcome on payments.results. */
    MISSING_OUTCOME("missing_outcome"),
    /** The ledger says succeeded; the provider holds no live charge for it. */
    MISSING_AT_PROVIDER("missing_at_provider"),
    /** A live charge at the provider for no known payment. */
    ORPHAN_CHARGE("orphan_charge"),
    /** More than one live charge for one payment. */
    DUPLICATE_CHARGE("duplicate_charge"),
    /** Ledger and provider agree on the currency, not on the amount. */
    AMOUNT_MISMATCH("amount_mismatch"),
    /** Ledger and provider hold the money in different currencies. */
    CURRENCY_MISMATCH("currency_mismatch"),
    /** The ledger says failed while the provider charged. */
    STATUS_MISMATCH("status_mismatch"),
    /** Claimed or charging for longer than the threshold. */
    STUCK("stuck");

    private final String wire;

    BreakClass(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
