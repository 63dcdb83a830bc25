package com.streamsocial.billing.gateway.http;

import java.util.List;
import java.util.Map;

/**
 * What the HTTP codec lets through but this API refuses, checked before anything else: more than
 * {@code http.headersCountMax} header fields ({@code 431}); a value holding a byte other than visible
 * ASCII, space or tab, obs-text included, or a name that is not an RFC 9110 token, empty
 * included ({@code 400}); a {@code Transfer-Encoding} other than one {@code chunked} ({@code 400}: RFC
 * 9112 requires chunked last, and the codec frames any other coding as no body at all). Returns the
 * problem, or null; never throws. Names the header, never echoes its value.
 */
public final class HeaderCheck {
    private HeaderCheck() {}

    public static Problem check(Iterable<Map.Entry<String, String>> headers, int headersCountMax) {
        int count = 0;
        int transferEncodings = 0;
        String transferEncoding = null;
        for (Map.Entry<String, String> h : headers) {
            count++;
            if (count > headersCountMax) {
                return ProblemType.HEADERS_TOO_LARGE.problem(
                        "more than " + headersCountMax + " header fields",
                        List.of(new Problem.FieldError("headers", "more than " + headersCountMax)));
            }
            if (!isToken(h.getKey())) {
                // The codec lets an empty or odd name through ("\r\n:x" injected into a value).
                return malformed("headers", "a header name is empty or not a token");
            }
            String value = h.getValue();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if ((c < 0x20 && c != '\t') || c > 0x7e) {
                    return malformed(h.getKey(), "holds a character other than visible ASCII, space or tab");
                }
            }
            if ("transfer-encoding".equalsIgnoreCase(h.getKey())) {
                transferEncodings++;
                transferEncoding = value.strip();
            }
        }
        if (transferEncodings > 1 || (transferEncodings == 1 && !"chunked".equalsIgnoreCase(transferEncoding))) {
            return malformed("Transfer-Encoding", "only a single chunked is accepted");
        }
        return null;
    }

    /** RFC 9110 token: one or more tchar. */
    static boolean isToken(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    private static Problem malformed(String header, String why) {
        return ProblemType.MALFORMED_HEADER.problem(header + ": " + why, List.of(new Problem.FieldError(header, why)));
    }
}
