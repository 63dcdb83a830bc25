package com.streamsocial.billing.processor.reconcile;

import java.util.List;

/**
 * The re-drive, as the repairs ask for it: sends payments through the normal path again, with the same
 * ids, marked as re-driven, so the processor ends them as it ends any. A port: {@link BillingRedrive}.
 */
interface Redrive {
    /** Sends {@code paymentIds} again and returns once the log has acknowledged every record. */
    void send(List<String> paymentIds) throws Exception;

    /**
     * Sends the refunds {@code refundIds} again onto payments.refunds (their accepted intents, or the
     * processor's claims of them) and returns once the log has acknowledged every record.
     */
    void sendRefunds(List<String> refundIds) throws Exception;
}
