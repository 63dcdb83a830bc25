package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.payment.PaymentRequest;
import java.util.List;

/**
 * Fault hooks: decide whether a batch's transaction is aborted on purpose after its records were
 * sent, or whether the batch fails before Kafka. Production uses {@link #NONE}; tests use it to prove that an aborted batch leaves nothing
 * visible to a read_committed reader.
 */
@FunctionalInterface
public interface BatchFaults {
    BatchFaults NONE = batch -> false;

    boolean abortAfterSend(List<PaymentRequest> batch);

    /**
     * Whether building a batch's records fails, after its ids were reserved and before anything is
     * handed to Kafka: tests use it to prove such a batch gives its keys back.
     */
    default boolean failBeforeSend(List<PaymentRequest> batch) {
        return false;
    }
}
