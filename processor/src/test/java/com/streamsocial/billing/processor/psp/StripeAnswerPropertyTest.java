package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.StripeAnswer.Answered;
import com.streamsocial.billing.processor.psp.StripeAnswer.Decision;
import com.streamsocial.billing.processor.psp.StripeAnswer.Retry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Provider answers are untrusted input (OWASP API10): for any status and any bytes, {@link
 * StripeAnswer#decide} returns a decision and never throws; a body that is not a well-typed payment
 * intent or error is a transient retry, never an outcome.
 */
class StripeAnswerPropertyTest {
    private static final Charge C = new Charge("pay_1", 1_000, "USD", "cus_1", "pm_card_visa", "default", null);

    @Property(tries = 2_000)
    void anyStatusAndAnyBytesGiveADecision(@ForAll("statuses") int status, @ForAll("hostileBodies") byte[] body) {
        Decision d = StripeAnswer.decide(C, status, body);
        assertThat(d).isNotNull();
        if (d instanceof Answered a) {
            assertThat(a.result()).isNotNull();
            assertThat(a.result().paymentId()).isEqualTo(C.paymentId());
        } else {
            assertThat(((Retry) d).reason()).isNotNull().hasSizeLessThanOrEqualTo(4_096);
        }
    }

    @Property(tries = 1_000)
    void aSuccessWithoutAWellTypedIntentIsATransientRetry(@ForAll("wrongIntents") String body) {
        Decision d = StripeAnswer.decide(C, 200, body.getBytes(StandardCharsets.UTF_8));
        assertThat(d).as(body).isInstanceOf(Retry.class);
        assertThat(((Retry) d).configuration()).isFalse();
    }

    @Property(tries = 200)
    void bytesThatAreNotUtf8AreATransientRetry(@ForAll("statuses") int status, @ForAll("invalidUtf8") byte[] body) {
        Decision d = StripeAnswer.decide(C, status, body);
        assertThat(d).isEqualTo(new Retry(false, "HTTP " + status + " answer is not UTF-8"));
    }

    @Property(tries = 50)
    void anOversizeAnswerIsATransientRetryWhateverItSays(@ForAll("statuses") int status) {
        // A valid success, padded past the bound: too long is refused before it is read.
        String intent = "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"usd\",\"pad\":\"";
        byte[] body =
                (intent + "x".repeat(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX) + "\"}").getBytes(StandardCharsets.UTF_8);
        Decision d = StripeAnswer.decide(C, status, body);
        assertThat(d).isInstanceOf(Retry.class);
        assertThat(((Retry) d).configuration()).isFalse();
    }

    @Provide
    Arbitrary<Integer> statuses() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.of(200, 400, 401, 402, 403, 404, 409, 429, 500, 502, 503)),
                Tuple.of(2, Arbitraries.integers().between(100, 599)),
                Tuple.of(1, Arbitraries.integers()));
    }

    @Provide
    Arbitrary<byte[]> hostileBodies() {
        return Arbitraries.oneOf(
                json().map(s -> s.getBytes(StandardCharsets.UTF_8)),
                invalidUtf8(),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(512),
                Arbitraries.of(new byte[0]),
                Arbitraries.integers()
                        .between(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX - 2, StripeAnswer.PROVIDER_ANSWER_BYTES_MAX + 2)
                        .map(n -> {
                            byte[] b = new byte[n];
                            Arrays.fill(b, (byte) '[');
                            return b;
                        }));
    }

    @Provide
    Arbitrary<byte[]> invalidUtf8() {
        // A lone continuation byte, an overlong encoding, a surrogate, a truncated sequence, 0xFF.
        Arbitrary<byte[]> bad = Arbitraries.of(
                new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xE2, (byte) 0x82},
                new byte[] {(byte) 0xFF});
        return json().flatMap(j -> bad.map(b -> {
            byte[] text = j.getBytes(StandardCharsets.UTF_8);
            byte[] out = Arrays.copyOf(text, text.length + b.length);
            System.arraycopy(b, 0, out, text.length, b.length);
            return out;
        }));
    }

    /** Random JSON-ish text: Stripe-shaped objects with fields of the wrong type, and anything else. */
    @Provide
    Arbitrary<String> json() {
        return Arbitraries.oneOf(wrongIntents(), errors(), Arbitraries.recursive(this::scalar, this::nest, 0, 6));
    }

    @Provide
    Arbitrary<String> wrongIntents() {
        Arbitrary<String> id = Arbitraries.oneOf(value(), Arbitraries.of("\"pi_1\""));
        Arbitrary<String> status = Arbitraries.oneOf(value(), Arbitraries.of("\"succeeded\""));
        Arbitrary<String> amount = Arbitraries.of(
                "1000.0", "1e3", "\"1000\"", "null", "99999999999999999999999999", "1000.5", "[1000]", "{}", "true");
        Arbitrary<String> currency = Arbitraries.oneOf(value(), Arbitraries.of("\"usd\""));
        // At least one field is of the wrong type: the amount is never a plain integer.
        return net.jqwik.api.Combinators.combine(id, status, amount, currency)
                .as((i, s, a, c) ->
                        "{\"id\":" + i + ",\"status\":" + s + ",\"amount\":" + a + ",\"currency\":" + c + "}");
    }

    Arbitrary<String> errors() {
        return net.jqwik.api.Combinators.combine(value(), value(), value(), value())
                .as((t, c, d, m) -> "{\"error\":{\"type\":" + t + ",\"code\":" + c + ",\"decline_code\":" + d
                        + ",\"message\":" + m + ",\"payment_intent\":" + t + "}}");
    }

    private Arbitrary<String> value() {
        return Arbitraries.recursive(this::scalar, this::nest, 0, 3);
    }

    private Arbitrary<String> scalar() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "null",
                        "true",
                        "false",
                        "-0",
                        "1e400",
                        "-1e-400",
                        "123456789012345678901234567890",
                        "NaN",
                        "\"\\ud800\"",
                        "\"\\u0000\"",
                        "",
                        "{",
                        "]"),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.doubles().map(String::valueOf),
                Arbitraries.strings().ofMaxLength(20).map(StripeAnswerPropertyTest::quoted),
                Arbitraries.strings().withChars('a', 'z').ofLength(300).map(StripeAnswerPropertyTest::quoted));
    }

    private Arbitrary<String> nest(Arbitrary<String> inner) {
        return Arbitraries.oneOf(
                inner.list().ofMaxSize(3).map(l -> "[" + String.join(",", l) + "]"),
                inner.list().ofMaxSize(3).map(l -> {
                    StringBuilder b = new StringBuilder("{");
                    List<String> keys = List.of("\"id\"", "\"status\"", "\"amount\"", "\"error\"", "\"id\"");
                    for (int i = 0; i < l.size(); i++) {
                        b.append(i > 0 ? "," : "")
                                .append(keys.get(i))
                                .append(":")
                                .append(l.get(i));
                    }
                    return b.append("}").toString();
                }),
                Arbitraries.integers().between(500, 5_000).map(n -> "[".repeat(n) + "]".repeat(n)));
    }

    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
