package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class CardNumbersTest {

    @Test
    void findsWellKnownTestCardsWrittenTheUsualWays() {
        assertThat(CardNumbers.containsCardNumber("4242424242424242")).isTrue();
        assertThat(CardNumbers.containsCardNumber("pm 4242 4242 4242 4242 exp 12/30"))
                .isTrue();
        assertThat(CardNumbers.containsCardNumber("4000-0566-5566-5556")).isTrue();
        assertThat(CardNumbers.containsCardNumber("cus_4242424242424242")).isTrue();
        assertThat(CardNumbers.containsCardNumber("amex 3782 822463 10005")).isTrue();
        // 13 digits (old Visa) and 19 digits.
        assertThat(CardNumbers.containsCardNumber("4222222222222")).isTrue();
        assertThat(CardNumbers.containsCardNumber("6011000990139424003".substring(0, 16)))
                .isTrue();
        // A card after an unrelated leading group still counts.
        assertThat(CardNumbers.containsCardNumber("ref 12 4242 4242 4242 4242")).isTrue();
    }

    @Test
    void leavesOrdinaryTextAndIdentifiersAlone() {
        assertThat(CardNumbers.containsCardNumber(null)).isFalse();
        assertThat(CardNumbers.containsCardNumber("")).isFalse();
        assertThat(CardNumbers.containsCardNumber("pm_card_visa")).isFalse();
        assertThat(CardNumbers.containsCardNumber("cus_4242424242")).isFalse();
        // Luhn-invalid: the last digit changed.
        assertThat(CardNumbers.containsCardNumber("4242424242424241")).isFalse();
        // 12 digits: too short, even Luhn-valid.
        assertThat(CardNumbers.containsCardNumber("424242424242")).isFalse();
        // One unbroken run of more than 19 digits is an identifier.
        assertThat(CardNumbers.containsCardNumber("42424242424242424242424")).isFalse();
        // Digits split by something other than a space or dash are separate numbers.
        assertThat(CardNumbers.containsCardNumber("4242.4242.4242.4242")).isFalse();
        assertThat(CardNumbers.containsCardNumber("order 2024-11-27 qty 3")).isFalse();
    }

    /** Any Luhn-valid 13..19 digits, grouped by spaces or dashes, inside any text, is found. */
    @Property(tries = 2000)
    void findsEveryLuhnValidNumberHoweverGroupedAndWherever(
            @ForAll("cards") String card,
            @ForAll("separators") String separator,
            @ForAll @IntRange(min = 1, max = 6) int groupLength,
            @ForAll("surroundings") String before,
            @ForAll("surroundings") String after) {
        StringBuilder grouped = new StringBuilder();
        for (int i = 0; i < card.length(); i++) {
            if (i > 0 && i % groupLength == 0) {
                grouped.append(separator);
            }
            grouped.append(card.charAt(i));
        }
        assertThat(CardNumbers.containsCardNumber(before + grouped + after))
                .as(before + grouped + after)
                .isTrue();
    }

    /** Changing one digit of a card breaks its Luhn sum: text holding only that is never refused. */
    @Property(tries = 2000)
    void neverFindsALuhnInvalidNumberStandingAlone(@ForAll("cards") String card, @ForAll @IntRange(max = 18) int at) {
        int i = at % card.length();
        char changed = (char) ('0' + (card.charAt(i) - '0' + 5) % 10);
        String broken = card.substring(0, i) + changed + card.substring(i + 1);
        assertThat(CardNumbers.containsCardNumber("x" + broken + "x")).isFalse();
    }

    /** Total: any text at all gives an answer and no exception. */
    @Property(tries = 2000)
    void neverThrows(@ForAll String anything) {
        CardNumbers.containsCardNumber(anything);
    }

    @Provide
    Arbitrary<String> cards() {
        return Arbitraries.integers()
                .between(CardNumbers.DIGITS_MIN - 1, CardNumbers.DIGITS_MAX - 1)
                .flatMap(n -> Arbitraries.strings().numeric().ofLength(n))
                .map(CardNumbersTest::withCheckDigit);
    }

    @Provide
    Arbitrary<String> separators() {
        return Arbitraries.of("", " ", "-", " - ", "  ");
    }

    @Provide
    Arbitrary<String> surroundings() {
        return Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(8), Arbitraries.of("", " ", "_", ":", "#"))
                .as((a, b) -> a + b);
    }

    /** Appends the Luhn check digit. */
    static String withCheckDigit(String payload) {
        int sum = 0;
        boolean doubled = true;
        for (int i = payload.length() - 1; i >= 0; i--) {
            int d = payload.charAt(i) - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
        }
        return payload + (10 - sum % 10) % 10;
    }
}
