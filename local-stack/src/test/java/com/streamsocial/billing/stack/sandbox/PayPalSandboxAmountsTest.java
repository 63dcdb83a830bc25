package com.streamsocial.billing.stack.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Currency;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The sandbox refuses what PayPal refuses, by PayPal's documented currency table written here as
 * data (its REST "Currency codes" page, read on 2026-12-06), independently of the sandbox's code.
 */
class PayPalSandboxAmountsTest {
    /** The 25 currencies PayPal's REST API supports. */
    private static final Set<String> PAYPAL = new TreeSet<>(List.of(
            "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN", "TWD", "NZD",
            "NOK", "PHP", "PLN", "GBP", "RUB", "SGD", "SEK", "CHF", "THB", "USD"));

    /** Those PayPal says "do not support decimals. If you pass a decimal amount, an error occurs." */
    private static final Set<String> NO_DECIMALS = Set.of("HUF", "JPY", "TWD");

    @Test
    void theSandboxsTableIsPayPalsDocumentedOne() {
        assertThat(new TreeSet<>(PayPalSandboxAmounts.DIGITS.keySet())).containsExactlyElementsOf(PAYPAL);
        for (String code : PAYPAL) {
            assertThat(PayPalSandboxAmounts.DIGITS.get(code)).as(code).isEqualTo(NO_DECIMALS.contains(code) ? 0 : 2);
        }
    }

    @Test
    void aDecimalAmountInACurrencyWithoutDecimalsIsRefusedAsPayPalDoes() {
        for (String code : NO_DECIMALS) {
            assertThat(PayPalSandboxAmounts.parse("1234", code))
                    .as(code)
                    .isEqualTo(new PayPalSandboxAmounts.Units(1234));
            for (String decimal : new String[] {"1234.50", "1234.00", "1234.5", ".5"}) {
                assertIssue(decimal, code, 422, "DECIMALS_NOT_SUPPORTED");
            }
            assertThat(PayPalSandboxAmounts.format(1234, code)).isEqualTo("1234");
        }
    }

    @Test
    void twoDecimalCurrenciesTakeExactlyTwo() {
        for (String code : PAYPAL) {
            if (NO_DECIMALS.contains(code)) {
                continue;
            }
            assertThat(PayPalSandboxAmounts.parse("19.99", code))
                    .as(code)
                    .isEqualTo(new PayPalSandboxAmounts.Units(1999));
            assertThat(PayPalSandboxAmounts.parse("0.05", code)).as(code).isEqualTo(new PayPalSandboxAmounts.Units(5));
            assertThat(PayPalSandboxAmounts.format(1999, code)).isEqualTo("19.99");
            assertThat(PayPalSandboxAmounts.format(5, code)).isEqualTo("0.05");
            assertIssue("19.999", code, 422, "DECIMAL_PRECISION");
            // Stricter than PayPal, on purpose: an adapter must write the exponent exactly.
            assertIssue("19.9", code, 422, "DECIMAL_PRECISION");
            assertIssue("19", code, 422, "DECIMAL_PRECISION");
        }
    }

    @Test
    void everyOtherCurrencyIsNotSupported() {
        int others = 0;
        for (Currency c : Currency.getAvailableCurrencies()) {
            if (!PAYPAL.contains(c.getCurrencyCode())) {
                others++;
                assertIssue("1.00", c.getCurrencyCode(), 422, "CURRENCY_NOT_SUPPORTED");
                assertIssue("1", c.getCurrencyCode(), 422, "CURRENCY_NOT_SUPPORTED");
            }
        }
        assertThat(others).isGreaterThan(100);
        assertIssue("1.999", "KWD", 422, "CURRENCY_NOT_SUPPORTED");
        assertIssue("19.99", "usd", 422, "CURRENCY_NOT_SUPPORTED");
        assertIssue("19.99", null, 422, "CURRENCY_NOT_SUPPORTED");
    }

    @Test
    void malformedZeroAndNegativeAmountsAreRefused() {
        assertIssue("0.00", "USD", 422, "CANNOT_BE_ZERO_OR_NEGATIVE");
        assertIssue("-1.00", "USD", 422, "CANNOT_BE_ZERO_OR_NEGATIVE");
        assertIssue("0", "JPY", 422, "CANNOT_BE_ZERO_OR_NEGATIVE");
        for (String bad : new String[] {"", "abc", "1e5", "1,00", "+1.00", "1.", " 1.00", "1".repeat(33), null}) {
            assertIssue(bad, "USD", 400, "INVALID_PARAMETER_SYNTAX");
        }
        assertIssue("99999999999999999999.00", "USD", 400, "INVALID_PARAMETER_SYNTAX");
    }

    private static void assertIssue(String value, String currency, int status, String issue) {
        assertThat(PayPalSandboxAmounts.parse(value, currency))
                .as(currency + " " + value)
                .isInstanceOfSatisfying(PayPalSandboxAmounts.Problem.class, p -> {
                    assertThat(p.status()).isEqualTo(status);
                    assertThat(p.issue()).isEqualTo(issue);
                    assertThat(p.name()).isEqualTo(status == 422 ? "UNPROCESSABLE_ENTITY" : "INVALID_REQUEST");
                });
    }
}
