package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

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
        // Issue 19 §6: every separator people type, and a card inside a longer run of digits.
        for (String sep : new String[] {".", "/", "_", "\u00a0", "\u202f", "\u2007", "\u2009", "\u2013", "\t"}) {
            String text = String.join(sep, "4242", "4242", "4242", "4242");
            assertThat(CardNumbers.containsCardNumber(text)).as(text).isTrue();
        }
        assertThat(CardNumbers.containsCardNumber("42424242424242424242424")).isTrue();
        assertThat(CardNumbers.containsCardNumber("id 99142424242424242428")).isTrue();
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
        // Digits split by something that is not a separator are separate numbers.
        assertThat(CardNumbers.containsCardNumber("4242x4242x4242x4242")).isFalse();
        assertThat(CardNumbers.containsCardNumber("4242:4242:4242:4242")).isFalse();
        assertThat(CardNumbers.containsCardNumber("order 2024-11-27 qty 3")).isFalse();
        assertThat(CardNumbers.containsCardNumber("v1.2.3 on 2024/11/27 at 10.15"))
                .isFalse();
    }

    /** Any Luhn-valid 13..19 digits, grouped by spaces or dashes, inside any text, is found. */
    @Test
    void findsEveryLuhnValidNumberHoweverGroupedAndWherever() {
        Props.cases(2_000)
                .forAll(
                        cards(),
                        separators(),
                        SourceDSL.integers().between(1, 6),
                        surroundings().zip(surroundings(), Pair::of))
                .checkAssert((card, separator, groupLength, around) -> {
                    StringBuilder grouped = new StringBuilder();
                    for (int i = 0; i < card.length(); i++) {
                        if (i > 0 && i % groupLength == 0) {
                            grouped.append(separator);
                        }
                        grouped.append(card.charAt(i));
                    }
                    String text = around._1 + grouped + around._2;
                    assertThat(CardNumbers.containsCardNumber(text)).as(text).isTrue();
                });
    }

    /**
     * A card inside an unbroken run of more than 19 digits is found: leading or trailing digits do not
     * hide it (at least 7 before it, so the run is always over 19).
     */
    @Test
    void findsACardInsideALongerRunOfDigits() {
        Props.cases(2_000)
                .forAll(cards(), Gens.strings(Gens.chars('0', '9'), 7, 9), Gens.strings(Gens.chars('0', '9'), 0, 8))
                .checkAssert((card, before, after) -> {
                    String text = "ref " + before + card + after + " end";
                    assertThat(CardNumbers.containsCardNumber(text)).as(text).isTrue();
                });
    }

    /** Changing one digit of a card breaks its Luhn sum: text holding only that is never refused. */
    @Test
    void neverFindsALuhnInvalidNumberStandingAlone() {
        Props.cases(2_000).forAll(cards(), SourceDSL.integers().between(0, 18)).checkAssert((card, at) -> {
            int i = at % card.length();
            char changed = (char) ('0' + (card.charAt(i) - '0' + 5) % 10);
            String broken = card.substring(0, i) + changed + card.substring(i + 1);
            assertThat(CardNumbers.containsCardNumber("x" + broken + "x"))
                    .as(broken)
                    .isFalse();
        });
    }

    /**
     * Total, and right on any text: the answer, never an exception, is the one a brute-force reading
     * of the rule gives. Half the texts are digits, spaces, dashes and a letter, so both answers occur.
     */
    @Test
    void anyTextGetsTheAnswerTheRuleGives() {
        Gen<String> digitsAndSeparators =
                Gens.strings(Gens.charsOf("0123456789012345678901234 -x._/:\u00a0\u2013\u202f"), 0, 60);
        Props.cases(2_000)
                .forAll(Gens.oneOf(Gens.anyStrings(255), digitsAndSeparators))
                .checkAssert(text -> assertThat(CardNumbers.containsCardNumber(text))
                        .as(text)
                        .isEqualTo(bruteForce(text)));
    }

    /** What the rule calls a separator: Unicode spaces and dashes, ASCII whitespace, '.', '/', '_'. */
    private static final String SEPARATORS = "[\\p{Z}\\p{Pd}\\t\\n\\x0B\\f\\r\\x1C-\\x1F._/]+";

    /** Runs of digit groups joined by separators; any window of whole groups may be the card. */
    private static final Pattern RUN = Pattern.compile("[0-9]+(?:" + SEPARATORS + "[0-9]+)*");

    /** The rule read literally, independently of {@link CardNumbers}' single pass. */
    static boolean bruteForce(String text) {
        Matcher run = RUN.matcher(text);
        while (run.find()) {
            String[] groups = run.group().split(SEPARATORS);
            for (String g : groups) {
                // Inside a group of more than 19 digits a card may start and end anywhere.
                for (int from = 0; g.length() > CardNumbers.DIGITS_MAX && from < g.length(); from++) {
                    for (int to = from + CardNumbers.DIGITS_MIN;
                            to <= Math.min(g.length(), from + CardNumbers.DIGITS_MAX);
                            to++) {
                        if (luhnValid(g.substring(from, to))) {
                            return true;
                        }
                    }
                }
            }
            for (int first = 0; first < groups.length; first++) {
                String digits = "";
                for (int last = first; last < groups.length; last++) {
                    digits += groups[last];
                    if (digits.length() >= CardNumbers.DIGITS_MIN
                            && digits.length() <= CardNumbers.DIGITS_MAX
                            && luhnValid(digits)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean luhnValid(String digits) {
        String payload = digits.substring(0, digits.length() - 1);
        return withCheckDigit(payload).equals(digits);
    }

    @Test
    void theBruteForceReadingAgreesWithTheExamples() {
        // The oracle itself must be able to say both answers.
        assertThat(bruteForce("ref 12 4242 4242 4242 4242")).isTrue();
        assertThat(bruteForce("4242424242424241")).isFalse();
        assertThat(bruteForce("42424242424242424242424")).isTrue();
        assertThat(bruteForce("4242.4242.4242.4242")).isTrue();
        assertThat(bruteForce("4242\u00a04242\u00a04242\u00a04242")).isTrue();
        assertThat(bruteForce("4242:4242:4242:4242")).isFalse();
    }

    private static Gen<String> cards() {
        return SourceDSL.integers()
                .between(CardNumbers.DIGITS_MIN - 1, CardNumbers.DIGITS_MAX - 1)
                .flatMap(n -> Gens.strings(Gens.chars('0', '9'), n, n))
                .map(CardNumbersTest::withCheckDigit);
    }

    private static Gen<String> separators() {
        return Gens.of(
                "", " ", "-", " - ", "  ", ".", "/", "_", "\u00a0", "\u202f", "\u2007", "\u2009", "\u2013", "\u3000",
                "\t");
    }

    private static Gen<String> surroundings() {
        Gen<Character> alpha = Gens.charsOf("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        return Gens.strings(alpha, 0, 8).zip(Gens.of("", " ", "_", ":", "#"), (a, b) -> a + b);
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
