package com.streamsocial.billing.gateway.ownership;

/** What the registry owns: its {@code owners.kind} value and the request field that carries it. */
public enum OwnedKind {
    CUSTOMER("customer", "customer_id", "c:"),
    PAYMENT_METHOD("payment_method", "payment_method", "m:");

    public final String sql;
    public final String field;
    final String tag;

    OwnedKind(String sql, String field, String tag) {
        this.sql = sql;
        this.field = field;
        this.tag = tag;
    }
}
