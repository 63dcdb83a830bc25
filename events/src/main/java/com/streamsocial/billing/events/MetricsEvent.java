package com.streamsocial.billing.events;

import io.vertx.core.json.JsonObject;

/** An analytics event on {@link Topics#METRICS}; keyed by payment id like the payment it describes. */
public record MetricsEvent(String type, String paymentId, String tenant, long amount, String currency, long atMs) {

    public static final String ACCEPTED = "payment.accepted";
    public static final String SUCCEEDED = "payment.succeeded";
    public static final String FAILED = "payment.failed";
    public static final String DEAD_LETTERED = "record.dead_lettered";

    public byte[] toBytes() {
        return new JsonObject()
                .put("type", type)
                .put("payment_id", paymentId)
                .put("tenant", tenant)
                .put("amount", amount)
                .put("currency", currency)
                .put("at_ms", atMs)
                .toBuffer()
                .getBytes();
    }
}
