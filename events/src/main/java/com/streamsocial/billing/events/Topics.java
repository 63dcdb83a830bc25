package com.streamsocial.billing.events;

import java.util.List;

/** The Kafka topics of the pipeline. Names are part of the contract with downstream consumers. */
public final class Topics {
    private Topics() {}

    /** Accepted payment intents, keyed by payment id; written by the gateway in transactions. */
    public static final String BILLING = "payments.billing";
    /** Analytics events from the gateway and the processor. */
    public static final String METRICS = "payments.metrics";
    /** One outcome per payment, keyed by payment id; written by the processor in transactions. */
    public static final String RESULTS = "payments.results";
    /** Records the processor cannot process, value unchanged, with the error and source in headers ({@link DeadLetterHeaders}). */
    public static final String DLQ = "payments.dlq";

    /**
     * Provider webhooks the gateway verified, each once per provider event id: the value is the body
     * exactly as the provider signed it, the envelope in {@code webhook.*} headers; written by the
     * gateway in transactions (issue 21 §2).
     */
    public static final String WEBHOOKS = "payments.webhooks";

    /**
     * Accepted refund intents ({@code refund.requested}), keyed by payment id so that a payment's
     * refunds are ordered on one partition; written by the gateway in transactions (issue 21 §1, and
     * docs/ARCHITECTURE.md "Refunds" for why not {@link #BILLING}).
     */
    public static final String REFUNDS = "payments.refunds";

    /** One outcome per refund id ({@code refund.outcome}), keyed by payment id; written by the processor in transactions. */
    public static final String REFUND_RESULTS = "payments.refund-results";

    public static final List<String> ALL = List.of(BILLING, METRICS, RESULTS, DLQ, WEBHOOKS, REFUNDS, REFUND_RESULTS);
}
