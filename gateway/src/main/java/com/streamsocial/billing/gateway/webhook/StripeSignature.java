package com.streamsocial.billing.gateway.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies Stripe's {@code Stripe-Signature} header over a webhook's raw body (issue 21 §2): an
 * HMAC-SHA256 of {@code "<t>.<raw body>"} with the endpoint's secret, compared in constant time with
 * each {@code v1} signature the header carries, and the timestamp {@code t} within a tolerance of now.
 * Several secrets are tried, so that a secret can be rotated without refusing events signed with the
 * old one; {@code v0} and other schemes are ignored, as Stripe's libraries do. Pure: the time is a
 * parameter. Total: any header and body give a {@link Verdict}, never an exception.
 */
public final class StripeSignature {
    /** Stripe's default tolerance: an event older or newer than this is a replay, or a wrong clock. */
    public static final long TOLERANCE_S_DEFAULT = 300;
    /** The longest header read; a longer one is refused before any HMAC is computed. */
    public static final int HEADER_CHARS_MAX = 4_096;
    /** The most {@code v1} signatures one header may carry (Stripe sends one per active secret). */
    public static final int SIGNATURES_MAX = 8;
    /** The most secrets tried: the current one and those being rotated out. */
    public static final int SECRETS_MAX = 4;

    private static final String SCHEME = "v1";
    private static final int SIGNATURE_HEX_CHARS = 64;

    private StripeSignature() {}

    /** Why an event was refused; each is counted apart. */
    public enum Refusal {
        MISSING_HEADER,
        MALFORMED_HEADER,
        NO_SIGNATURE,
        TIMESTAMP_OUT_OF_TOLERANCE,
        SIGNATURE_MISMATCH
    }

    /** The outcome of a verification. */
    public sealed interface Verdict {
        /** The body is the provider's, signed at {@code timestampS}. */
        record Verified(long timestampS) implements Verdict {}

        record Refused(Refusal reason) implements Verdict {}
    }

    /**
     * @param header the {@code Stripe-Signature} header, or null when absent
     * @param rawBody the body exactly as received: never a re-encoding of parsed JSON
     * @param secrets the endpoint secrets to try (at most {@link #SECRETS_MAX}), as configured
     * @param nowS the current time, in Unix seconds
     * @param toleranceS how far {@code t} may be from {@code nowS}, either way
     */
    public static Verdict verify(String header, byte[] rawBody, List<String> secrets, long nowS, long toleranceS) {
        if (secrets.isEmpty() || secrets.size() > SECRETS_MAX) {
            throw new IllegalArgumentException("1.." + SECRETS_MAX + " secrets, got " + secrets.size());
        }
        if (header == null || header.isEmpty()) {
            return new Verdict.Refused(Refusal.MISSING_HEADER);
        }
        Parsed parsed = parse(header);
        if (parsed == null) {
            return new Verdict.Refused(Refusal.MALFORMED_HEADER);
        }
        if (parsed.signatures().isEmpty()) {
            return new Verdict.Refused(Refusal.NO_SIGNATURE);
        }
        if (Math.abs(nowS - parsed.timestampS()) > toleranceS) {
            return new Verdict.Refused(Refusal.TIMESTAMP_OUT_OF_TOLERANCE);
        }
        boolean match = false;
        for (String secret : secrets) {
            byte[] expected = hmac(secret, parsed.timestampS(), rawBody);
            for (byte[] given : parsed.signatures()) {
                // Every pair is compared, whatever matched before: the time taken says nothing.
                match |= MessageDigest.isEqual(expected, given);
            }
        }
        return match ? new Verdict.Verified(parsed.timestampS()) : new Verdict.Refused(Refusal.SIGNATURE_MISMATCH);
    }

    /** The header Stripe would send for {@code rawBody} signed with {@code secret} at {@code timestampS}. */
    public static String header(byte[] rawBody, String secret, long timestampS) {
        return "t=" + timestampS + "," + SCHEME + "=" + HexFormat.of().formatHex(hmac(secret, timestampS, rawBody));
    }

    private record Parsed(long timestampS, List<byte[]> signatures) {}

    /** The timestamp and the v1 signatures, or null for a header that is not Stripe's format. */
    private static Parsed parse(String header) {
        if (header.length() > HEADER_CHARS_MAX) {
            return null;
        }
        long timestampS = -1;
        List<byte[]> signatures = new ArrayList<>();
        for (String item : header.split(",", -1)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                return null;
            }
            String key = item.substring(0, eq).trim();
            String value = item.substring(eq + 1).trim();
            if (key.equals("t")) {
                if (timestampS != -1 || !isDigits(value, 1, 12)) {
                    return null;
                }
                timestampS = Long.parseLong(value);
            } else if (key.equals(SCHEME)) {
                if (signatures.size() == SIGNATURES_MAX || !isHex(value)) {
                    return null;
                }
                signatures.add(HexFormat.of().parseHex(value));
            }
        }
        return timestampS == -1 ? null : new Parsed(timestampS, signatures);
    }

    private static boolean isDigits(String s, int lengthMin, int lengthMax) {
        if (s.length() < lengthMin || s.length() > lengthMax) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean isHex(String s) {
        if (s.length() != SIGNATURE_HEX_CHARS) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    private static byte[] hmac(String secret, long timestampS, byte[] rawBody) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampS + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(rawBody);
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is in every JDK: its absence is a broken runtime, not bad input.
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
