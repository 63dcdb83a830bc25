package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.DecimalAmounts;
import java.math.BigDecimal;
import java.util.Map;

/**
 * PayPal's own currency table, and the exact conversion of a payment's amount (minor units in ISO
 * 4217's exponent, as the pipeline carries it) to the {@code amount.value} PayPal takes. Pure and
 * total: every input gives a {@link Value} or a {@link Refused}, never an exception.
 *
 * <p>PayPal takes fewer currencies than ISO 4217, and fewer decimals for some: its REST "Currency
 * codes" page (developer.paypal.com/docs/api/reference/currency-codes/) lists 25 currencies, and says
 * of HUF, JPY and TWD that they "do not support decimals. If you pass a decimal amount, an error
 * occurs", although ISO 4217 (and the JDK) give HUF and TWD two. So an amount is sent only when PayPal
 * can take it exactly: HUF 1234.00 (123400 minor units) is sent as {@code "1234"}; HUF 1234.50 is
 * refused ({@link Refusal.DECIMALS_NOT_SUPPORTED}), never rounded; a currency PayPal does not list is
 * refused ({@link Refusal#CURRENCY_NOT_SUPPORTED}). A refusal makes no call to PayPal.
 */
public final class PayPalAmounts {
    /**
     * Digits after the point PayPal takes, per currency it supports: its "Currency codes" page as read
     * on 2026-12-06. BRL, CNY and MYR are for in-country accounts only (PayPal's note): PayPal decides
     * those per account, with a 422 this adapter treats as a decline.
     */
    static final Map<String, Integer> EXPONENTS = Map.ofEntries(
            Map.entry("AUD", 2),
            Map.entry("BRL", 2),
            Map.entry("CAD", 2),
            Map.entry("CNY", 2),
            Map.entry("CZK", 2),
            Map.entry("DKK", 2),
            Map.entry("EUR", 2),
            Map.entry("HKD", 2),
            Map.entry("HUF", 0),
            Map.entry("ILS", 2),
            Map.entry("JPY", 0),
            Map.entry("MYR", 2),
            Map.entry("MXN", 2),
            Map.entry("TWD", 0),
            Map.entry("NZD", 2),
            Map.entry("NOK", 2),
            Map.entry("PHP", 2),
            Map.entry("PLN", 2),
            Map.entry("GBP", 2),
            Map.entry("RUB", 2),
            Map.entry("SGD", 2),
            Map.entry("SEK", 2),
            Map.entry("CHF", 2),
            Map.entry("THB", 2),
            Map.entry("USD", 2));

    /** Why an amount cannot go to PayPal; its failure code names PayPal's own issue for the same. */
    public enum Refusal {
        /** The currency is not in PayPal's table. */
        CURRENCY_NOT_SUPPORTED,
        /**
         * The amount has a fraction PayPal's exponent for the currency cannot carry (PayPal's issue
         * for a decimal amount in HUF, JPY or TWD).
         */
        DECIMALS_NOT_SUPPORTED;

        /** The payment's {@code failure_code}: {@code paypal_currency_not_supported}, ... */
        public String failureCode() {
            return "paypal_" + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A conversion's result. */
    public sealed interface Result permits Value, Refused {}

    /** The {@code amount.value} to send. */
    public record Value(String value) implements Result {}

    /** Not sendable: why, typed, and a sentence for people. */
    public record Refused(Refusal refusal, String reason) implements Result {}

    private PayPalAmounts() {}

    /** PayPal's exponent for the currency, or null when PayPal does not support it. */
    public static Integer exponent(String currency) {
        return currency == null ? null : EXPONENTS.get(currency);
    }

    /**
     * {@code minor} units of the currency (ISO 4217's exponent) as PayPal's {@code amount.value}: 1999
     * USD is "19.99", 1999 JPY "1999", 123400 HUF "1234"; 123450 HUF is refused.
     */
    public static Result toPayPal(long minor, String currency) {
        Integer payPalDigits = exponent(currency);
        if (payPalDigits == null) {
            return new Refused(
                    Refusal.CURRENCY_NOT_SUPPORTED,
                    "PayPal does not support currency " + printable(currency) + " (its currency codes table)");
        }
        if (!(DecimalAmounts.exponent(currency) instanceof DecimalAmounts.Converted<Integer> iso)) {
            // Every currency in PayPal's table has an ISO exponent (PayPalCurrenciesTest); kept total.
            return new Refused(Refusal.CURRENCY_NOT_SUPPORTED, "no ISO 4217 exponent for " + currency);
        }
        BigDecimal amount = BigDecimal.valueOf(minor).movePointLeft(iso.value());
        // stripTrailingZeros gives the fewest decimals the amount needs; a negative scale means none.
        int needed = Math.max(0, amount.stripTrailingZeros().scale());
        if (needed > payPalDigits) {
            return new Refused(
                    Refusal.DECIMALS_NOT_SUPPORTED,
                    currency + " " + amount.toPlainString() + " has " + needed
                            + " decimals; PayPal takes " + currency + " with " + payPalDigits
                            + ": not sent, never rounded");
        }
        return new Value(amount.setScale(payPalDigits).toPlainString());
    }

    /** At most 8 printable ASCII characters of an untrusted code, for a reason. */
    private static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 8; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return "'" + b + "'";
    }
}
