package com.streamsocial.billing.events;

/**
 * Always-on invariant checks. A failed check is a programmer error and throws; operating errors are
 * reported through failed futures and HTTP statuses instead, never through this class.
 */
public final class Check {
    private Check() {}

    public static void state(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalStateException(String.format(format, args));
        }
    }

    public static void argument(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }
}
