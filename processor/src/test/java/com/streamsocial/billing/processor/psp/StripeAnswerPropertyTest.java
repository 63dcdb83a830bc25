package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.StripeAnswer.Answered;
import com.streamsocial.billing.processor.psp.StripeAnswer.Decision;
import com.streamsocial.billing.processor.psp.StripeAnswer.Retry;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Provider answers are untrusted input (OWASP API10): for any status and any bytes, {@link
 * StripeAnswer#decide} returns a decision and never throws; a body that is not a well-typed payment
 * intent or error is a transient retry, never an outcome.
 */
class StripeAnswerPropertyTest {
    private static final Charge C = new Charge("pay_1", 1_000, "USD", "cus_1", "pm_card_visa", "default", null);

    @Test
    void anyStatusAndAnyBytesGiveADecision() {
        Props.cases(2_000).forAll(statuses(), hostileBodies()).checkAssert((status, body) -> {
            Decision d = StripeAnswer.decide(C, status, body);
            assertThat(d).isNotNull();
            if (d instanceof Answered a) {
                assertThat(a.result()).isNotNull();
                assertThat(a.result().paymentId()).isEqualTo(C.paymentId());
            } else {
                assertThat(((Retry) d).reason()).isNotNull().hasSizeLessThanOrEqualTo(4_096);
            }
        });
    }

    @Test
    void aSuccessWithoutAWellTypedIntentIsATransientRetry() {
        Props.cases(1_000).forAll(wrongIntents()).checkAssert(body -> {
            Decision d = StripeAnswer.decide(C, 200, body.getBytes(StandardCharsets.UTF_8));
            assertThat(d).as(body).isInstanceOf(Retry.class);
            assertThat(((Retry) d).configuration()).isFalse();
        });
    }

    @Test
    void bytesThatAreNotUtf8AreATransientRetry() {
        Props.cases(200).forAll(statuses(), invalidUtf8()).checkAssert((status, body) -> {
            Decision d = StripeAnswer.decide(C, status, body);
            assertThat(d).isEqualTo(new Retry(false, "HTTP " + status + " answer is not UTF-8"));
        });
    }

    @Test
    void anOversizeAnswerIsATransientRetryWhateverItSays() {
        // A valid success, padded past the bound: too long is refused before it is read.
        String intent = "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"usd\",\"pad\":\"";
        byte[] body =
                (intent + "x".repeat(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX) + "\"}").getBytes(StandardCharsets.UTF_8);
        Props.cases(50).forAll(statuses()).checkAssert(status -> {
            Decision d = StripeAnswer.decide(C, status, body);
            assertThat(d).isInstanceOf(Retry.class);
            assertThat(((Retry) d).configuration()).isFalse();
        });
    }

    /** Stripe's usual statuses most often, then any HTTP status, then any int at all. */
    private static Gen<Integer> statuses() {
        return Generate.frequency(
                Pair.of(5, Gens.of(200, 400, 401, 402, 403, 404, 409, 429, 500, 502, 503)),
                Pair.of(2, SourceDSL.integers().between(100, 599)),
                Pair.of(1, Gens.ints()));
    }

    private static Gen<byte[]> hostileBodies() {
        Gen<byte[]> nearTheBound = SourceDSL.integers()
                .between(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX - 2, StripeAnswer.PROVIDER_ANSWER_BYTES_MAX + 2)
                .map(n -> {
                    byte[] b = new byte[n];
                    Arrays.fill(b, (byte) '[');
                    return b;
                });
        return Gens.oneOf(
                        json().map(s -> s.getBytes(StandardCharsets.UTF_8)),
                        invalidUtf8(),
                        Gens.bytes(512),
                        SourceDSL.arbitrary().constant(() -> new byte[0]),
                        nearTheBound)
                .describedAs(Gens::printable);
    }

    private static Gen<byte[]> invalidUtf8() {
        // A lone continuation byte, an overlong encoding, a surrogate, a truncated sequence, 0xFF.
        Gen<byte[]> bad = Gens.of(
                new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xE2, (byte) 0x82},
                new byte[] {(byte) 0xFF});
        return json().zip(bad, (j, b) -> {
                    // Below the size bound, which is checked first: deep nesting can pass 64 KiB.
                    byte[] whole = j.getBytes(StandardCharsets.UTF_8);
                    byte[] text = Arrays.copyOf(
                            whole, Math.min(whole.length, StripeAnswer.PROVIDER_ANSWER_BYTES_MAX - b.length));
                    byte[] out = Arrays.copyOf(text, text.length + b.length);
                    System.arraycopy(b, 0, out, text.length, b.length);
                    return out;
                })
                .describedAs(Gens::printable);
    }

    /** Random JSON-ish text: Stripe-shaped objects with fields of the wrong type, and anything else. */
    private static Gen<String> json() {
        return Gens.oneOf(wrongIntents(), errors(), Gens.recursive(scalar(), StripeAnswerPropertyTest::nest, 0, 6));
    }

    private static Gen<String> wrongIntents() {
        Gen<String> id = Gens.oneOf(value(), Gens.of("\"pi_1\""));
        Gen<String> status = Gens.oneOf(value(), Gens.of("\"succeeded\""));
        Gen<String> amount = Gens.of(
                "1000.0", "1e3", "\"1000\"", "null", "99999999999999999999999999", "1000.5", "[1000]", "{}", "true");
        Gen<String> currency = Gens.oneOf(value(), Gens.of("\"usd\""));
        // At least one field is of the wrong type: the amount is never a plain integer.
        return id.zip(
                status,
                amount,
                currency,
                (i, s, a, c) -> "{\"id\":" + i + ",\"status\":" + s + ",\"amount\":" + a + ",\"currency\":" + c + "}");
    }

    private static Gen<String> errors() {
        return value().zip(
                        value(),
                        value(),
                        value(),
                        (t, c, d, m) -> "{\"error\":{\"type\":" + t + ",\"code\":" + c + ",\"decline_code\":" + d
                                + ",\"message\":" + m + ",\"payment_intent\":" + t + "}}");
    }

    private static Gen<String> value() {
        return Gens.recursive(scalar(), StripeAnswerPropertyTest::nest, 0, 3);
    }

    private static Gen<String> scalar() {
        return Gens.oneOf(
                Gens.of(
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
                Gens.longs().map(l -> String.valueOf(l)),
                Gens.doubles().map(d -> String.valueOf(d)),
                Gens.anyStrings(20).map(StripeAnswerPropertyTest::quoted),
                Gens.strings(Gens.chars('a', 'z'), 300, 300).map(StripeAnswerPropertyTest::quoted));
    }

    private static Gen<String> nest(Gen<String> inner) {
        return Gens.oneOf(
                SourceDSL.lists().of(inner).ofSizeBetween(0, 3).map(l -> "[" + String.join(",", l) + "]"),
                SourceDSL.lists().of(inner).ofSizeBetween(0, 3).map(l -> {
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
                SourceDSL.integers().between(500, 5_000).map(n -> "[".repeat(n) + "]".repeat(n)));
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
