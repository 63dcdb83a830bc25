package com.streamsocial.billing.refund;

import java.util.Optional;

/** Why a refund is asked for: Stripe's closed set, so that the reason is a token for both providers, never free text. */
public enum RefundReason {
    DUPLICATE("duplicate"),
    FRAUDULENT("fraudulent"),
    REQUESTED_BY_CUSTOMER("requested_by_customer");

    private final String wire;

    RefundReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** Total: the reason of a wire name, or empty. */
    public static Optional<RefundReason> fromWire(String s) {
        for (RefundReason v : values()) {
            if (v.wire.equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
