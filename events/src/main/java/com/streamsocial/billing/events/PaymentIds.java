package com.streamsocial.billing.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic identifiers. A payment id is a pure function of (tenant, idempotency key), so every
 * gateway instance, the processor and reconciliation derive the same id without coordination.
 */
public final class PaymentIds {
    private static final HexFormat HEX = HexFormat.of();
    /** 128 bits of SHA-256: collisions are out of reach for any realistic number of payments. */
    private static final int ID_BYTES = 16;

    private PaymentIds() {}

    public static String paymentId(String tenant, String idempotencyKey) {
        Check.argument(tenant != null && !tenant.isEmpty(), "tenant must be set");
        Check.argument(idempotencyKey != null && !idempotencyKey.isEmpty(), "idempotency key must be set");
        byte[] digest = sha256(tenant + '\u0000' + idempotencyKey);
        return "pay_" + HEX.formatHex(digest, 0, ID_BYTES);
    }

    /** Hex SHA-256 of a canonical request text, used to tell a retry from a different request. */
    public static String fingerprint(String canonicalRequest) {
        return HEX.formatHex(sha256(canonicalRequest));
    }

    public static boolean looksLikePaymentId(String s) {
        if (s == null || s.length() != 4 + 2 * ID_BYTES || !s.startsWith("pay_")) {
            return false;
        }
        for (int i = 4; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** One digest per thread: {@code getInstance} walks the security providers on every call. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    });

    private static byte[] sha256(String s) {
        // digest() resets the instance, so the next call on this thread starts clean.
        return SHA_256.get().digest(s.getBytes(StandardCharsets.UTF_8));
    }
}
