package com.streamsocial.billing.metrics;

/**
 * What a health answer may say about a failure: an exception's class name, or a reason's text before
 * its detail. Exception messages name hosts, addresses and user names; the logs keep them, health
 * answers do not. Total: null in, a fixed word out.
 */
public final class HealthText {
    private HealthText() {}

    /** The exception's simple class name (the cause's, when it only wraps one); "unknown" for null. */
    public static String reason(Throwable e) {
        if (e == null) {
            return "unknown";
        }
        Throwable shown = e;
        while ((shown instanceof java.util.concurrent.CompletionException
                        || shown instanceof java.util.concurrent.ExecutionException)
                && shown.getCause() != null) {
            shown = shown.getCause();
        }
        return shown.getClass().getSimpleName();
    }

    /**
     * A reason without its detail: the text before its first parenthesis or colon, which is where an
     * exception's message would follow ("lease check unanswered (…)" gives "lease check unanswered").
     */
    public static String shortReason(String reason) {
        if (reason == null) {
            return null;
        }
        int cut = reason.length();
        for (char c : new char[] {'(', ':'}) {
            int at = reason.indexOf(c);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return reason.substring(0, cut).trim();
    }
}
