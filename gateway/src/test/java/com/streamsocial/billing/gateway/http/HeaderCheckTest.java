package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderCheckTest {
    private static Problem check(String... namesAndValues) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(Map.entry(namesAndValues[i], namesAndValues[i + 1]));
        }
        return HeaderCheck.check(headers, 8);
    }

    @Test
    void ordinaryHeadersPass() {
        assertThat(check(
                        "Host",
                        "x",
                        "Authorization",
                        "Bearer sk_1",
                        "X-Trace",
                        "a\tb c~",
                        "Transfer-Encoding",
                        "Chunked"))
                .isNull();
    }

    @Test
    void obsTextAndControlsAreRefusedNamingTheHeaderNotItsValue() {
        for (String bad : List.of("caf\u00e9", "a\u0000", "a\u007f", "a\u0001b", "\u0100")) {
            Problem p = check("Host", "x", "X-Custom", bad);
            assertThat(p).as(bad).isNotNull();
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.errors()).extracting(Problem.FieldError::field).containsExactly("X-Custom");
            assertThat(p.toJson(null).encode()).doesNotContain(bad);
        }
    }

    @Test
    void namesMustBeTokens() {
        for (String bad : List.of("", "a b", "a:b", "caf\u00e9", "a\u0000", "(x)")) {
            assertThat(check("Host", "x", bad, "v"))
                    .as(bad)
                    .extracting(Problem::status)
                    .isEqualTo(400);
        }
        assertThat(check("X-A_b.c~!#$%&'*+^`|", "v")).isNull();
    }

    @Test
    void onlyOneChunkedTransferEncodingIsAccepted() {
        for (String te : List.of("gzip", "chunked, chunked", "xchunked", "identity", "chunked, gzip", "")) {
            assertThat(check("Transfer-Encoding", te))
                    .as(te)
                    .extracting(Problem::status)
                    .isEqualTo(400);
        }
        assertThat(check("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"))
                .extracting(Problem::status)
                .isEqualTo(400);
    }

    @Test
    void tooManyFieldsIs431() {
        String[] nine = new String[18];
        for (int i = 0; i < 9; i++) {
            nine[2 * i] = "X-" + i;
            nine[2 * i + 1] = "v";
        }
        assertThat(check(nine)).extracting(Problem::status).isEqualTo(431);
        assertThat(check(java.util.Arrays.copyOf(nine, 16))).isNull();
    }
}
