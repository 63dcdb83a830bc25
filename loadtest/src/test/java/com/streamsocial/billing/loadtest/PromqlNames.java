package com.streamsocial.billing.loadtest;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The metric names a PromQL expression reads: each identifier that is not a function, an aggregation,
 * a keyword or a label name. Label matchers ({@code {...}}), ranges and subqueries ({@code [...]}),
 * strings and Grafana variables are skipped, and so are the label lists of {@code by}, {@code
 * without}, {@code on}, {@code ignoring}, {@code group_left} and {@code group_right}. Enough PromQL
 * for the dashboard and the alert rules, not a parser: an unbalanced expression is refused.
 */
final class PromqlNames {
    /** Aggregation operators: they may be followed by {@code by (...)} rather than by their argument. */
    private static final Set<String> AGGREGATIONS = Set.of(
            "sum",
            "min",
            "max",
            "avg",
            "group",
            "stddev",
            "stdvar",
            "count",
            "count_values",
            "bottomk",
            "topk",
            "quantile",
            "limitk",
            "limit_ratio");

    /** Keywords whose label list in parentheses follows them. */
    private static final Set<String> LABEL_LISTS =
            Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");

    private PromqlNames() {}

    /** The metric names in {@code expr}, in order of first appearance. */
    static Set<String> of(String expr) {
        Set<String> names = new LinkedHashSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '{') {
                i = skipTo(expr, i, '}');
            } else if (c == '[') {
                i = skipTo(expr, i, ']');
            } else if (c == '#') {
                i = lineEnd(expr, i);
            } else if (c == '$') {
                // A Grafana variable ($__rate_interval, $gateway_job, ${datasource}): not a metric.
                i = identifierEnd(expr, i + 1);
            } else if (Character.isDigit(c) || c == '.') {
                // A number or a duration (0.99, 15m, 1e3): never a name.
                i = identifierEnd(expr, i + 1);
            } else if (isIdentifierStart(c)) {
                int end = identifierEnd(expr, i);
                String word = expr.substring(i, end);
                i = word(expr, word, end, names);
            } else {
                i++;
            }
        }
        return names;
    }

    /** Handles one identifier ending at {@code end}; returns where to go on. */
    private static int word(String expr, String word, int end, Set<String> names) {
        int next = skipSpaces(expr, end);
        boolean call = next < expr.length() && expr.charAt(next) == '(';
        String lower = word.toLowerCase(java.util.Locale.ROOT);
        if (LABEL_LISTS.contains(lower)) {
            return call ? skipTo(expr, next, ')') : end;
        }
        if (call || AGGREGATIONS.contains(lower) || KEYWORDS.contains(lower)) {
            return end; // a function or an operator: its arguments are read on
        }
        names.add(word);
        return end;
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static int identifierEnd(String s, int from) {
        int i = from;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == ':')) {
            i++;
        }
        return i;
    }

    private static int skipSpaces(String s, int from) {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int lineEnd(String s, int from) {
        int i = s.indexOf('\n', from);
        return i < 0 ? s.length() : i;
    }

    /** Past the closing quote of the string opening at {@code from} (backslash escapes in "" and ''). */
    private static int skipString(String s, int from) {
        char quote = s.charAt(from);
        int i = from + 1;
        while (i < s.length() && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        if (i >= s.length()) {
            throw new IllegalArgumentException("unterminated string in: " + s);
        }
        return i + 1;
    }

    /** Past the {@code close} matching the bracket at {@code from}, skipping strings inside. */
    private static int skipTo(String s, int from, char close) {
        char open = s.charAt(from);
        int depth = 0;
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(s, i);
                continue;
            }
            if (c == open) {
                depth++;
            } else if (c == close && --depth == 0) {
                return i + 1;
            }
            i++;
        }
        throw new IllegalArgumentException("no '" + close + "' for the '" + open + "' at " + from + " in: " + s);
    }
}
