package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.contract.PaymentEvent;

/**
 * One polled billing record: its position, either its event or why it could not be parsed, and
 * whether reconciliation re-drove it (header {@code redrive}) to repair a missing row or outcome.
 */
public record InputRecord(
        int partition, long offset, String key, byte[] value, PaymentEvent event, String parseError, boolean redrive) {

    /** The header reconciliation sets on a re-driven billing record. */
    public static final String REDRIVE_HEADER = "redrive";

    public boolean parsed() {
        return event != null;
    }
}
