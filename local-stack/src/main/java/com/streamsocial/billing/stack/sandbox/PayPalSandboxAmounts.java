package com.streamsocial.billing.stack.sandbox;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The amounts the sandbox's PayPal subset takes, and PayPal's answer to each it refuses. It holds
 * its own copy of PayPal's currency table, written from PayPal's REST "Currency codes" page and
 * never read from the processor's adapter nor from the JDK, so that a test through the sandbox
 * checks the adapter against PayPal's rules and not against itself. Pure.
 *
 * <p>Amounts are stored in the currency's smallest unit PayPal takes: cents for USD, whole forints
 * for HUF, whole yen for JPY.
 */
final class PayPalSandboxAmounts {
    /**
     * PayPal's 25 currencies and the digits it takes after the point: none for HUF, JPY and TWD
     * ("This currency does not support decimals. If you pass a decimal amount, an error occurs."),
     * two for the rest. As read on 2026-12-06.
     */
    static final Map<String, Integer> DIGITS = Map.ofEntries(
            Map.entry("AUD", 2),
            Map.entry("BRL", 2),
            Map.entry("CAD", 2),
            Map.entry("CHF", 2),
            Map.entry("CNY", 2),
            Map.entry("CZK", 2),
            Map.entry("DKK", 2),
            Map.entry("EUR", 2),
            Map.entry("GBP", 2),
            Map.entry("HKD", 2),
            Map.entry("HUF", 0),
            Map.entry("ILS", 2),
            Map.entry("JPY", 0),
            Map.entry("MXN", 2),
            Map.entry("MYR", 2),
            Map.entry("NOK", 2),
            Map.entry("NZD", 2),
            Map.entry("PHP", 2),
            Map.entry("PLN", 2),
            Map.entry("RUB", 2),
            Map.entry("SEK", 2),
            Map.entry("SGD", 2),
            Map.entry("THB", 2),
            Map.entry("TWD", 0),
            Map.entry("USD", 2));

    /** PayPal's own pattern and length for {@code amount.value}. */
    private static final Pattern VALUE = Pattern.compile("^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$");

    private static final int VALUE_CHARS_MAX = 32;

    /** A parse's result. */
    sealed interface Parsed permits Units, Problem {}

    /** The amount in the currency's smallest unit PayPal takes. */
    record Units(long units) implements Parsed {}

    /** PayPal's refusal: status, name and issue. */
    record Problem(int status, String name, String issue, String message) implements Parsed {}

    private PayPalSandboxAmounts() {}

    /**
     * {@code value} in {@code currency} as PayPal checks it: a currency outside its table is {@code
     * 422 CURRENCY_NOT_SUPPORTED}; a value off its pattern {@code 400 INVALID_PARAMETER_SYNTAX}; zero
     * or less {@code 422 CANNOT_BE_ZERO_OR_NEGATIVE}; a point in a currency without decimals {@code 422
     * DECIMALS_NOT_SUPPORTED}; more than two decimals {@code 422 DECIMAL_PRECISION}. Stricter than
     * PayPal on one point: fewer than two decimals in a two-decimal currency ("19.9") is also {@code
     * DECIMAL_PRECISION}, to catch an adapter that does not write the exponent exactly.
     */
    static Parsed parse(String value, String currency) {
        Integer digits = currency == null ? null : DIGITS.get(currency);
        if (digits == null) {
            return unprocessable(
                    "CURRENCY_NOT_SUPPORTED", "Currency code is not currently supported by PayPal: " + currency);
        }
        if (value == null
                || value.length() > VALUE_CHARS_MAX
                || !VALUE.matcher(value).matches()) {
            return new Problem(
                    400,
                    "INVALID_REQUEST",
                    "INVALID_PARAMETER_SYNTAX",
                    "amount.value does not match PayPal's pattern, or is over 32 characters");
        }
        BigDecimal amount = new BigDecimal(value);
        if (amount.signum() <= 0) {
            return unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.");
        }
        int point = value.indexOf('.');
        int decimals = point < 0 ? 0 : value.length() - point - 1;
        if (digits == 0 && point >= 0) {
            return unprocessable(
                    "DECIMALS_NOT_SUPPORTED", "Currency " + currency + " does not support decimals: " + value);
        }
        if (decimals != digits) {
            return unprocessable(
                    "DECIMAL_PRECISION",
                    "amount.value " + value + " must have exactly " + digits + " decimals for " + currency
                            + (decimals < digits ? " (this sandbox's own rule, stricter than PayPal's)" : ""));
        }
        try {
            return new Units(amount.movePointRight(digits).longValueExact());
        } catch (ArithmeticException e) {
            return new Problem(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX", "amount.value is out of range");
        }
    }

    /** Units of the currency as PayPal writes them: 1999 USD is "19.99", 1234 HUF is "1234". */
    static String format(long units, String currency) {
        Integer digits = DIGITS.get(currency);
        return digits == null
                ? Long.toString(units)
                : BigDecimal.valueOf(units, digits).toPlainString();
    }

    private static Problem unprocessable(String issue, String message) {
        return new Problem(422, "UNPROCESSABLE_ENTITY", issue, message);
    }
}
