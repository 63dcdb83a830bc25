package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.contract.PaymentEvent;

/** One polled billing record: its position, and either its event or why it could not be parsed. */
public record InputRecord(int partition, long offset, String key, byte[] value, PaymentEvent event, String parseError) {
    public boolean parsed() {
        return event != null;
    }
}
