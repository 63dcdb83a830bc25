package com.streamsocial.billing.auth;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * API keys as values: generating them (32 bytes from {@link SecureRandom}), hashing them (SHA-256,
 * the only form ever stored), parsing the {@code Authorization: Bearer} header and checking tenant
 * names. Pure: no I/O, no Vert.x.
 */
public final class ApiKeys {
    /** Prefix of keys made by {@code keys create}; the local stack's development key differs on purpose. */
    public static final String LIVE_PREFIX = "sk_live_";
    /** Prefix of keys stored as given ({@link ApiKeyStore#ensure}): the local stack's and the tests'. */
    public static final String TEST_PREFIX = "sk_test_";
    /** Characters after {@link #LIVE_PREFIX}: 32 random bytes in base62, zero-padded. */
    public static final int LIVE_BODY_LENGTH = 43;
    /** Characters after {@link #TEST_PREFIX}, at most. */
    public static final int TEST_BODY_LENGTH_MAX = 100;
    /** Longest key the gateway hashes; anything longer is refused unread. */
    public static final int KEY_LENGTH_MAX = TEST_PREFIX.length() + TEST_BODY_LENGTH_MAX;

    private static final int KEY_BYTES = 32;
    private static final int KEY_ID_BYTES = 8;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private ApiKeys() {}

    /** A new key: {@code sk_live_} and 32 random bytes in base62 (43 characters, zero-padded). */
    public static String newKey() {
        byte[] b = new byte[KEY_BYTES];
        RANDOM.nextBytes(b);
        return LIVE_PREFIX + base62(b, 43);
    }

    /** A new key id, public: shown by {@code keys list} and used by {@code keys revoke}. */
    public static String newKeyId() {
        byte[] b = new byte[KEY_ID_BYTES];
        RANDOM.nextBytes(b);
        return "key_" + HEX.formatHex(b);
    }

    public static boolean validTenant(String tenant) {
        return tenant != null && TENANT.matcher(tenant).matches();
    }

    /**
     * Whether a key has one of the two shapes a stored key can have, checked before any hashing or
     * lookup so that a malformed key costs a few comparisons: {@code sk_live_} and exactly 43 base62
     * characters (made by {@code keys create}), or {@code sk_test_} and 1 to 100 of base62 and
     * {@code _} (a development key stored as given).
     */
    public static boolean validKey(String key) {
        if (key == null) {
            return false;
        }
        if (key.startsWith(LIVE_PREFIX)) {
            return key.length() == LIVE_PREFIX.length() + LIVE_BODY_LENGTH && allIn(key, LIVE_PREFIX.length(), false);
        }
        return key.startsWith(TEST_PREFIX)
                && key.length() > TEST_PREFIX.length()
                && key.length() <= KEY_LENGTH_MAX
                && allIn(key, TEST_PREFIX.length(), true);
    }

    private static boolean allIn(String key, int from, boolean underscore) {
        for (int i = from; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= '0' && c <= '9')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (underscore && c == '_');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The key of an {@code Authorization} header value, or null when there is none or it is not a
     * well-formed {@code Bearer} credential (RFC 6750: scheme case-insensitive, one space).
     */
    public static String bearer(String header) {
        // Longer than any key with its scheme and some spaces: refused before it is even copied.
        if (header == null
                || header.length() < 7
                || header.length() > 7 + KEY_LENGTH_MAX + 16
                || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = header.substring(7).trim();
        return validKey(key) ? key : null;
    }

    public static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Constant-time equality of two hashes, so that timing tells nothing about how much matched. */
    public static boolean sameHash(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private static String base62(byte[] bytes, int width) {
        BigInteger n = new BigInteger(1, bytes);
        BigInteger base = BigInteger.valueOf(62);
        StringBuilder b = new StringBuilder(width);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(base);
            b.append(BASE62.charAt(qr[1].intValue()));
            n = qr[0];
        }
        while (b.length() < width) {
            b.append('0');
        }
        return b.reverse().toString();
    }
}
