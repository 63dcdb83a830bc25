package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.http.PaymentRequest;
import java.util.List;

/**
 * A fault hook: decides whether a batch's transaction is aborted on purpose after its records were
 * sent. Production uses {@link #NONE}; tests use it to prove that an aborted batch leaves nothing
 * visible to a read_committed reader.
 */
@FunctionalInterface
public interface BatchFaults {
    BatchFaults NONE = batch -> false;

    boolean abortAfterSend(List<PaymentRequest> batch);
}
