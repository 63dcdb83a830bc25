package com.streamsocial.billing.gateway.http;

/**
 * Finds what looks like a primary account number (a card number) in free text, so that the gateway
 * can refuse it before anything is logged or written and stay out of PCI DSS cardholder-data scope.
 * A candidate is 13 to 19 digits that pass the Luhn check, written together or in groups separated by
 * any separator people type (spaces of any kind including no-break ones, dashes of any kind, dots,
 * slashes, underscores), and bounded by anything else (a letter, the end). A candidate may start or
 * end at any group boundary, so "ref 12 4242 4242 4242 4242" is found; inside an unbroken run of more
 * than 19 digits it may start and end anywhere, so a card cannot hide behind leading or trailing
 * digits (such a run is almost always refused: send long identifiers with a letter in them). Pure
 * and total: never throws.
 */
public final class CardNumbers {
    public static final int DIGITS_MIN = 13;
    public static final int DIGITS_MAX = 19;

    private CardNumbers() {}

    public static boolean containsCardNumber(String s) {
        if (s == null) {
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
            if (anyWindowIsCard(s, groupStart, groupLength, groups)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyWindowIsCard(String s, int[] start, int[] length, int groups) {
        for (int g = 0; g < groups; g++) {
            if (length[g] > DIGITS_MAX && anyWindowInsideIsCard(s, start[g], length[g])) {
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
                if (digits >= DIGITS_MIN && luhn(s, start, length, first, last)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Any 13 to 19 consecutive digits of one over-long group that pass the Luhn check. */
    private static boolean anyWindowInsideIsCard(String s, int start, int length) {
        int[] one = {0};
        int[] len = {0};
        for (int from = start; from + DIGITS_MIN <= start + length; from++) {
            for (int digits = DIGITS_MIN; digits <= DIGITS_MAX && from + digits <= start + length; digits++) {
                one[0] = from;
                len[0] = digits;
                if (luhn(s, one, len, 0, 0)) {
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
