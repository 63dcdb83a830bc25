package com.streamsocial.billing.refund;

import com.streamsocial.billing.events.PaymentIds;

/**
 * Refund ids, a pure function of (tenant, Idempotency-Key) as payment ids are, so that every gateway
 * instance and the processor derive the same id alone; the {@code refund} prefix of the digested text
 * keeps a refund's id apart from the payment id of the same key.
 */
public final class RefundIds {
    public static final String PREFIX = "re_";
    /** 128 bits of SHA-256, in hex, as payment ids. */
    private static final int HEX_LENGTH = 32;

    private RefundIds() {}

    public static String refundId(String tenant, String idempotencyKey) {
        if (tenant == null || tenant.isEmpty() || idempotencyKey == null || idempotencyKey.isEmpty()) {
            throw new IllegalArgumentException("tenant and idempotency key must be set");
        }
        return PREFIX
                + PaymentIds.fingerprint("refund\u0000" + tenant + '\u0000' + idempotencyKey)
                        .substring(0, HEX_LENGTH);
    }

    public static boolean looksLikeRefundId(String s) {
        if (s == null || s.length() != PREFIX.length() + HEX_LENGTH || !s.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** The provider's idempotency key of a refund (Stripe's Idempotency-Key, PayPal's PayPal-Request-Id). */
    public static String providerKey(String refundId) {
        return refundId;
    }
}
