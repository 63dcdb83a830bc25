package com.streamsocial.billing.gateway.http;

/**
 * Finds what looks like a primary account number (a card number) in free text, so that the gateway
 * can refuse it before anything is logged or written and stay out of PCI DSS cardholder-data scope.
 * A candidate is 13 to 19 digits that pass the Luhn check, written together or in groups separated by
 * any separator people type (spaces of any kind including no-break ones, dashes of any kind, dots,
 * slashes, underscores), and bounded by anything else (a letter, the end). A candidate may start or
 * end at any group boundary, so "ref 12 4242 4242 4242 4242" is found; inside an unbroken run of more
 * than 19 digits it may start and end anywhere, so a card cannot hide behind leading or trailing
 * digits (such a run is almost always refused: send long identifiers with a letter in them). {@link
 * #containsIssuedCardNumber} also demands a real issuer's prefix, for text that is often numeric (the
 * Idempotency-Key). Pure and total: never throws.
 */
public final class CardNumbers {
    public static final int DIGITS_MIN = 13;
    public static final int DIGITS_MAX = 19;

    private CardNumbers() {}

    /** Whether {@code s} holds a Luhn-valid run of 13 to 19 digits, whatever its prefix. */
    public static boolean containsCardNumber(String s) {
        return scan(s, false);
    }

    /**
     * Whether {@code s} holds a Luhn-valid run of 13 to 19 digits that starts with a card issuer's
     * prefix ({@link #issued}): the Idempotency-Key's test, where plain Luhn would refuse one key in
     * ten built from an epoch timestamp (those start with 1).
     */
    public static boolean containsIssuedCardNumber(String s) {
        return scan(s, true);
    }

    private static boolean scan(String s, boolean issuedOnly) {
        if (s == null || digitCount(s) < DIGITS_MIN) {
            return false;
        }
        int n = s.length();
        int i = 0;
        // Digit groups of the current run: start offsets and lengths into s, separators skipped.
        int[] groupStart = new int[n / 2 + 1];
        int[] groupLength = new int[n / 2 + 1];
        while (i < n) {
            if (!isDigit(s.charAt(i))) {
                i++;
                continue;
            }
            int groups = 0;
            while (i < n && isDigit(s.charAt(i))) {
                int start = i;
                while (i < n && isDigit(s.charAt(i))) {
                    i++;
                }
                groupStart[groups] = start;
                groupLength[groups] = i - start;
                groups++;
                // Separators continue the run only when a digit follows them.
                int j = i;
                while (j < n && isSeparator(s.charAt(j))) {
                    j++;
                }
                if (j > i && j < n && isDigit(s.charAt(j))) {
                    i = j;
                }
            }
            if (anyWindowIsCard(s, groupStart, groupLength, groups, issuedOnly)) {
                return true;
            }
        }
        return false;
    }

    /** Fewer digits than a card has: no allocation, no scan (most keys and fields). */
    private static int digitCount(String s) {
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            digits += isDigit(s.charAt(i)) ? 1 : 0;
        }
        return digits;
    }

    private static boolean anyWindowIsCard(String s, int[] start, int[] length, int groups, boolean issuedOnly) {
        for (int g = 0; g < groups; g++) {
            if (length[g] > DIGITS_MAX && anyWindowInsideIsCard(s, start[g], length[g], issuedOnly)) {
                return true;
            }
        }
        for (int first = 0; first < groups; first++) {
            int digits = 0;
            for (int last = first; last < groups; last++) {
                digits += length[last];
                if (digits > DIGITS_MAX) {
                    break;
                }
                if (digits >= DIGITS_MIN
                        && luhn(s, start, length, first, last)
                        && (!issuedOnly || issued(leading(s, start, length, first, last)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Any 13 to 19 consecutive digits of one over-long group that pass the Luhn check. */
    private static boolean anyWindowInsideIsCard(String s, int start, int length, boolean issuedOnly) {
        int[] one = {0};
        int[] len = {0};
        for (int from = start; from + DIGITS_MIN <= start + length; from++) {
            for (int digits = DIGITS_MIN; digits <= DIGITS_MAX && from + digits <= start + length; digits++) {
                one[0] = from;
                len[0] = digits;
                if (luhn(s, one, len, 0, 0) && (!issuedOnly || issued(leading(s, one, len, 0, 0)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The Luhn check over the digits of groups first..last, right to left. */
    private static boolean luhn(String s, int[] start, int[] length, int first, int last) {
        int sum = 0;
        boolean doubled = false;
        for (int g = last; g >= first; g--) {
            for (int k = start[g] + length[g] - 1; k >= start[g]; k--) {
                int d = s.charAt(k) - '0';
                if (doubled) {
                    d *= 2;
                    if (d > 9) {
                        d -= 9;
                    }
                }
                sum += d;
                doubled = !doubled;
            }
        }
        return sum % 10 == 0;
    }

    /** The first four digits of groups first..last (a candidate has at least 13) as a number. */
    private static int leading(String s, int[] start, int[] length, int first, int last) {
        int value = 0;
        int taken = 0;
        for (int g = first; g <= last && taken < 4; g++) {
            for (int k = start[g]; k < start[g] + length[g] && taken < 4; k++) {
                value = value * 10 + (s.charAt(k) - '0');
                taken++;
            }
        }
        return value;
    }

    /**
     * Whether a number starting with these four digits belongs to a card issuer's range: Visa (4),
     * Mastercard (51-55, 2221-2720), Mir (2200-2204), American Express (34, 37), Diners Club (300-305,
     * 3095, 36, 38-39), JCB (3528-3589), Discover (6011, 644-649, 65), UnionPay (62) and Maestro
     * (5018, 5020, 5038, 5893, 6304, 6759, 6761-6763). Not UATP (1), RuPay (60, 81, 82) or Verve.
     */
    static boolean issued(int first4) {
        int p2 = first4 / 100;
        int p3 = first4 / 10;
        return first4 / 1000 == 4
                || (p2 >= 51 && p2 <= 55)
                || (first4 >= 2221 && first4 <= 2720)
                || (first4 >= 2200 && first4 <= 2204)
                || p2 == 34
                || p2 == 37
                || (p3 >= 300 && p3 <= 305)
                || first4 == 3095
                || p2 == 36
                || p2 == 38
                || p2 == 39
                || (first4 >= 3528 && first4 <= 3589)
                || first4 == 6011
                || (p3 >= 644 && p3 <= 649)
                || p2 == 65
                || p2 == 62
                || first4 == 5018
                || first4 == 5020
                || first4 == 5038
                || first4 == 5893
                || first4 == 6304
                || first4 == 6759
                || (first4 >= 6761 && first4 <= 6763);
    }

    /** ASCII digits only: other scripts' digits are not how card numbers are typed. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** What people put between digit groups: any space or dash of any script, dots, slashes, underscores. */
    static boolean isSeparator(char c) {
        return c == '.'
                || c == '/'
                || c == '_'
                || Character.isWhitespace(c)
                || Character.isSpaceChar(c)
                || Character.getType(c) == Character.DASH_PUNCTUATION;
    }
}
