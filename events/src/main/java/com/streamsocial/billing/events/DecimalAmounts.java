package com.streamsocial.billing.events;

import java.util.Currency;

/**
 * Converts between an amount in minor units (what the pipeline carries: 1999 for 19.99 USD) and its
 * decimal string in ISO 4217's exponent ({@code "19.99"} USD, {@code "1999"} JPY, {@code "1.999"}
 * KWD), from {@link Currency#getDefaultFractionDigits()}. Pure and total: every input gives a {@link
 * Converted} or a {@link Refused}, never an exception.
 *
 * <p>Not PayPal's exponent: PayPal takes HUF and TWD without decimals, which ISO gives two, so what
 * is sent to PayPal is written by the adapter's own table ({@code processor.psp.PayPalAmounts}).
 * Reading PayPal's answers back with {@link #toMinor} is exact all the same, since fewer decimals are
 * padded ({@code "1234"} HUF is 123400).
 *
 * <p>A currency is refused when this JVM's ISO 4217 table does not know it, or gives it no exponent
 * (-1: the pseudo-currencies XAU, XDR, XXX, ...): no amount in it can be written to PayPal exactly.
 */
public final class DecimalAmounts {
    /**
     * Characters of a decimal amount at most, sign and point included: PayPal's own limit on
     * {@code amount.value}. A longer one is refused, never parsed.
     */
    public static final int DECIMAL_CHARS_MAX = 32;

    /** A conversion's result. */
    public sealed interface Result<T> permits Converted, Refused {}

    /** The converted value. */
    public record Converted<T>(T value) implements Result<T> {}

    /** Why the conversion cannot be made: the currency, or the text. */
    public record Refused<T>(String reason) implements Result<T> {}

    private DecimalAmounts() {}

    /** The currency's exponent (digits after the point), or why there is none to use. */
    public static Result<Integer> exponent(String currency) {
        if (currency == null || currency.length() != 3) {
            return new Refused<>("currency must be a 3-letter ISO 4217 code");
        }
        Currency c;
        try {
            c = Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            return new Refused<>("currency " + printable(currency) + " is unknown to this JVM's ISO 4217 table");
        }
        int digits = c.getDefaultFractionDigits();
        if (digits < 0) {
            return new Refused<>(
                    "currency " + currency + " has no minor unit (an ISO 4217 pseudo-currency): no decimal amount");
        }
        return new Converted<>(digits);
    }

    /** True when {@link #exponent} gives one: amounts in the currency can be converted both ways. */
    public static boolean convertible(String currency) {
        return exponent(currency) instanceof Converted;
    }

    /** {@code minor} units as the currency's decimal string: 1999 USD is "19.99", -5 EUR is "-0.05". */
    public static Result<String> toDecimal(long minor, String currency) {
        Result<Integer> e = exponent(currency);
        if (e instanceof Refused<Integer> r) {
            return new Refused<>(r.reason());
        }
        int digits = ((Converted<Integer>) e).value();
        // Long.MIN_VALUE has no positive counterpart as a long: its digits come from the unsigned text.
        String magnitude = minor == Long.MIN_VALUE ? Long.toUnsignedString(minor) : Long.toString(Math.abs(minor));
        String sign = minor < 0 ? "-" : "";
        if (digits == 0) {
            return new Converted<>(sign + magnitude);
        }
        if (magnitude.length() <= digits) {
            magnitude = "0".repeat(digits - magnitude.length() + 1) + magnitude;
        }
        int point = magnitude.length() - digits;
        return new Converted<>(sign + magnitude.substring(0, point) + "." + magnitude.substring(point));
    }

    /**
     * The decimal string as minor units of the currency: {@code -?[0-9]+(\.[0-9]+)?} with at most the
     * currency's exponent of fraction digits (fewer are padded: "10.5" USD is 1050), at most {@link
     * #DECIMAL_CHARS_MAX} characters, and within a long. Anything else is refused.
     */
    public static Result<Long> toMinor(String decimal, String currency) {
        Result<Integer> e = exponent(currency);
        if (e instanceof Refused<Integer> r) {
            return new Refused<>(r.reason());
        }
        int digits = ((Converted<Integer>) e).value();
        if (decimal == null || decimal.isEmpty()) {
            return new Refused<>("no amount");
        }
        if (decimal.length() > DECIMAL_CHARS_MAX) {
            return new Refused<>("amount over " + DECIMAL_CHARS_MAX + " characters");
        }
        boolean negative = decimal.charAt(0) == '-';
        String body = negative ? decimal.substring(1) : decimal;
        int point = body.indexOf('.');
        String whole = point < 0 ? body : body.substring(0, point);
        String fraction = point < 0 ? "" : body.substring(point + 1);
        if (whole.isEmpty() || !allDigits(whole) || (point >= 0 && (fraction.isEmpty() || !allDigits(fraction)))) {
            return new Refused<>("amount " + printable(decimal) + " is not a decimal number");
        }
        if (fraction.length() > digits) {
            return new Refused<>("amount " + decimal + " has more than " + digits + " decimals for " + currency);
        }
        String minorText = whole + fraction + "0".repeat(digits - fraction.length());
        long value = 0;
        for (int i = 0; i < minorText.length(); i++) {
            int d = minorText.charAt(i) - '0';
            // Accumulated negatively: the long's range is one larger below zero than above it.
            if (value < (Long.MIN_VALUE + d) / 10) {
                return new Refused<>("amount " + decimal + " is out of range");
            }
            value = value * 10 - d;
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                return new Refused<>("amount " + decimal + " is out of range");
            }
            value = -value;
        }
        return new Converted<>(value);
    }

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** At most 40 printable ASCII characters of untrusted text, for a reason. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 40; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return "'" + b + "'";
    }
}
