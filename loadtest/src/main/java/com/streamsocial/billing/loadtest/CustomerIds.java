package com.streamsocial.billing.loadtest;

/**
 * The customer ids load sends for one tenant (issue 19 §1): the first tenant to pay with a customer
 * owns it, so two tenants of one stack must never share one. Each tenant gets its own ids, derived from
 * its name (or, where only the API key is known, from the key): {@code cus_<letters>_<n>}. Letters, not
 * digits, so that no id ever looks like a card number, whatever separators the card check counts.
 */
public final class CustomerIds {
    private CustomerIds() {}

    /** Customer {@code n} of the tenant (or key) {@code owner}. */
    public static String of(String owner, long n) {
        return "cus_" + letters(owner) + "_" + n;
    }

    /** Seven letters from the owner's hash: distinct owners of a stack get distinct ids. */
    static String letters(String owner) {
        long h = Integer.toUnsignedLong(owner.hashCode());
        char[] out = new char[7];
        for (int i = 0; i < out.length; i++) {
            out[i] = (char) ('a' + h % 26);
            h /= 26;
        }
        return new String(out);
    }
}
