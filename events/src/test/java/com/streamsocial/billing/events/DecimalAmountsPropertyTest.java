package com.streamsocial.billing.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.DecimalAmounts.Converted;
import com.streamsocial.billing.events.DecimalAmounts.Refused;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.Currency;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/**
 * {@link DecimalAmounts} over every currency this JVM's ISO 4217 table holds, in both directions,
 * checked against {@link BigDecimal#movePointLeft}, which is independent of the converter's own text
 * handling.
 */
class DecimalAmountsPropertyTest {
    /**
     * Sorted: the JDK's set iterates in identity-hash order, which differs from run to run, and a
     * seed must pick the same currencies again.
     */
    private static final List<Currency> ALL = Currency.getAvailableCurrencies().stream()
            .sorted(Comparator.comparing(Currency::getCurrencyCode))
            .toList();

    private static Gen<Currency> withMinorUnit() {
        return Gens.of(
                ALL.stream().filter(c -> c.getDefaultFractionDigits() >= 0).toArray(Currency[]::new));
    }

    private static Gen<Currency> withoutMinorUnit() {
        return Gens.of(
                ALL.stream().filter(c -> c.getDefaultFractionDigits() < 0).toArray(Currency[]::new));
    }

    @Test
    void minorToDecimalAndBack() {
        Props.cases(5_000)
                .forAll(withMinorUnit(), Gens.longs())
                .checkAssert(DecimalAmountsPropertyTest::minorToDecimalAndBack);
    }

    private static void minorToDecimalAndBack(Currency c, long minor) {
        String code = c.getCurrencyCode();
        String decimal = converted(DecimalAmounts.toDecimal(minor, code));
        // The exponent's digits after the point, exactly: what PayPal takes for the currency.
        assertThat(decimal)
                .isEqualTo(BigDecimal.valueOf(minor)
                        .movePointLeft(c.getDefaultFractionDigits())
                        .toPlainString());
        assertThat(converted(DecimalAmounts.toMinor(decimal, code))).isEqualTo(minor);
    }

    @Test
    void decimalToMinorAndBack() {
        Props.cases(5_000)
                .forAll(withMinorUnit(), SourceDSL.booleans().all(), Gens.longs(), Gens.longs())
                .checkAssert(DecimalAmountsPropertyTest::decimalToMinorAndBack);
    }

    private static void decimalToMinorAndBack(Currency c, boolean negative, long whole, long fraction) {
        String code = c.getCurrencyCode();
        int digits = c.getDefaultFractionDigits();
        // A canonical decimal with the currency's exponent, at most 18 digits in all, so it fits a long.
        long w = Math.floorMod(whole, (long) Math.pow(10, 18 - digits));
        String text = (negative ? "-" : "") + w;
        if (digits > 0) {
            long f = Math.floorMod(fraction, (long) Math.pow(10, digits));
            text += "." + String.format("%0" + digits + "d", f);
        }
        long minor = converted(DecimalAmounts.toMinor(text, code));
        assertThat(minor).isEqualTo(new BigDecimal(text).movePointRight(digits).longValueExact());
        String back = converted(DecimalAmounts.toDecimal(minor, code));
        // "-0.00" has no negative counterpart in minor units: it comes back as "0.00".
        assertThat(back).isEqualTo(minor == 0 ? text.replace("-", "") : text);
    }

    @Test
    void pseudoCurrenciesAreRefusedBothWays() {
        Props.cases(500).forAll(withoutMinorUnit(), Gens.longs()).checkAssert((c, minor) -> {
            assertThat(DecimalAmounts.toDecimal(minor, c.getCurrencyCode())).isInstanceOf(Refused.class);
            assertThat(DecimalAmounts.toMinor("1", c.getCurrencyCode())).isInstanceOf(Refused.class);
            assertThat(DecimalAmounts.convertible(c.getCurrencyCode())).isFalse();
        });
    }

    /** Any text, half of it made of what numbers are written with, so that some of it converts. */
    @Test
    void anyTextIsConvertedOrRefusedNeverThrown() {
        Gen<String> numberLike = Gens.strings(Gens.charsOf("0123456789-.+e ,"), 0, 24);
        Props.cases(2_000)
                .forAll(withMinorUnit(), Gens.oneOf(Gens.anyStrings(255), numberLike))
                .checkAssert((c, text) -> {
                    DecimalAmounts.Result<Long> r = DecimalAmounts.toMinor(text, c.getCurrencyCode());
                    if (r instanceof Converted<Long> ok) {
                        assertThat(new BigDecimal(text)
                                        .movePointRight(c.getDefaultFractionDigits())
                                        .longValueExact())
                                .isEqualTo(ok.value());
                    }
                });
    }

    @Test
    void theIssuesExamples() {
        assertThat(converted(DecimalAmounts.toDecimal(1999, "USD"))).isEqualTo("19.99");
        assertThat(converted(DecimalAmounts.toDecimal(1999, "JPY"))).isEqualTo("1999");
        assertThat(converted(DecimalAmounts.toDecimal(1999, "KWD"))).isEqualTo("1.999");
        assertThat(converted(DecimalAmounts.toDecimal(5, "EUR"))).isEqualTo("0.05");
        assertThat(converted(DecimalAmounts.toMinor("10.5", "USD"))).isEqualTo(1050L);
        assertThat(DecimalAmounts.toMinor("19.999", "USD")).isInstanceOf(Refused.class);
        assertThat(DecimalAmounts.toMinor("1.5", "JPY")).isInstanceOf(Refused.class);
        assertThat(DecimalAmounts.toMinor("99999999999999999999", "JPY")).isInstanceOf(Refused.class);
        assertThat(converted(DecimalAmounts.toMinor("-9223372036854775808", "JPY")))
                .isEqualTo(Long.MIN_VALUE);
        assertThat(DecimalAmounts.toMinor("9223372036854775808", "JPY")).isInstanceOf(Refused.class);
        for (String bad : new String[] {"", "-", ".5", "5.", "1e3", "+1", " 1", "1,00", "0x10", "١٢"}) {
            assertThat(DecimalAmounts.toMinor(bad, "USD")).as(bad).isInstanceOf(Refused.class);
        }
        assertThat(DecimalAmounts.exponent("XAU")).isInstanceOf(Refused.class);
        assertThat(DecimalAmounts.exponent("ZZZ")).isInstanceOf(Refused.class);
        assertThat(DecimalAmounts.exponent(null)).isInstanceOf(Refused.class);
    }

    @Test
    void theAcceptedSetIsWhatTheConverterHandles() {
        // Every code the gateway accepts converts; UYW (active, unknown to JDK 17's table) is refused.
        assertThat(Currencies.isActive("USD")).isTrue();
        assertThat(Currencies.isActive("CLF")).isTrue();
        assertThat(Currencies.isActive("XAU")).isFalse();
        assertThat(Currencies.isActive("UYW")).isEqualTo(DecimalAmounts.convertible("UYW"));
    }

    private static <T> T converted(DecimalAmounts.Result<T> r) {
        assertThat(r).isInstanceOf(Converted.class);
        return ((Converted<T>) r).value();
    }
}
