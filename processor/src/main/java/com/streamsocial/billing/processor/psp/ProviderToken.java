package com.streamsocial.billing.processor.psp;

import java.util.regex.Pattern;

/**
 * What of a provider's error answer may go into a failure reason, an exception message or a log
 * line: its machine-readable tokens (Stripe's {@code type}, {@code code} and {@code decline_code};
 * PayPal's {@code name} and {@code issue}), and only when they look like one. Never the provider's
 * free text ({@code message}, {@code error_description}): it can echo what the request carried (a
 * key, a card number, a customer's data), and a hostile or broken endpoint can put anything there.
 */
public final class ProviderToken {
    /** A short token: letters, digits, {@code _ . -}; at most 64 characters. */
    static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private ProviderToken() {}

    /** {@code s} when it is a short token ({@link #SAFE}), else null. */
    public static String safe(String s) {
        return s != null && SAFE.matcher(s).matches() ? s : null;
    }

    /** {@code s} when it is a short token, else {@code otherwise}. */
    public static String safe(String s, String otherwise) {
        String t = safe(s);
        return t != null ? t : otherwise;
    }
}
