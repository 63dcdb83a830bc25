package com.streamsocial.billing.gateway.http;

import io.vertx.core.json.JsonObject;

/** The JSON a client sees for one payment, on POST, on replay and on GET. */
public final class PaymentView {
    private PaymentView() {}

    public static JsonObject of(String paymentId, String status, String failureCode, JsonObject canonicalRequest) {
        JsonObject json =
                new JsonObject().put("id", paymentId).put("object", "payment").put("status", status);
        canonicalRequest.forEach(e -> json.put(e.getKey(), e.getValue()));
        if (failureCode != null) {
            json.put("failure_code", failureCode);
        }
        return json;
    }

    public static JsonObject of(PaymentRequest r, String status, String failureCode) {
        return of(r.paymentId(), status, failureCode, new JsonObject(r.canonical()));
    }

    /** Clients see claimed and charging as pending: those are internal recovery points. */
    public static String publicStatus(String ledgerStatus) {
        if ("succeeded".equals(ledgerStatus) || "failed".equals(ledgerStatus)) {
            return ledgerStatus;
        }
        return "pending";
    }
}
