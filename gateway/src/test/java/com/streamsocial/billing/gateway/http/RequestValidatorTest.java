package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {
    private static final String GOOD =
            "{\"amount\":100,\"currency\":\"EUR\",\"customer_id\":\"cus_1\",\"payment_method\":\"pm_card_visa\","
                    + "\"description\":\"d\",\"metadata\":{\"order\":\"o-1\"}}";

    private static RequestValidator.Result validate(String body) {
        return RequestValidator.validate("default", "key-1", "application/json", Buffer.buffer(body));
    }

    private static void refused(String body, String field) {
        RequestValidator.Result r = validate(body);
        assertThat(r.request()).as(body).isNull();
        assertThat(r.problem().status()).isEqualTo(400);
        assertThat(r.problem().errors())
                .as(body)
                .extracting(Problem.FieldError::field)
                .contains(field);
    }

    private static void cardRefused(String body, String field) {
        RequestValidator.Result r = validate(body);
        assertThat(r.request()).as(body).isNull();
        assertThat(r.problem().status()).as(body).isEqualTo(422);
        assertThat(r.problem().errors())
                .as(body)
                .extracting(Problem.FieldError::field)
                .containsExactly(field);
        // The answer never carries the number back, not even a part of it.
        assertThat(r.problem().toJson("/v1/payments").encode()).doesNotContain("4242", "5556");
    }

    @Test
    void acceptsOnlyCurrenciesWhoseAmountsConvertToDecimals() {
        // Exponents 0, 2, 3 and 4: each converts to a provider's decimal string.
        for (String code : new String[] {"JPY", "USD", "KWD", "CLF"}) {
            assertThat(validate(GOOD.replace("\"EUR\"", "\"" + code + "\"")).problem())
                    .as(code)
                    .isNull();
        }
        // Gold (no minor unit) and UYW (active, but without an exponent in JDK 17's table): refused.
        refused(GOOD.replace("\"EUR\"", "\"XAU\""), "currency");
        if (!com.streamsocial.billing.events.DecimalAmounts.convertible("UYW")) {
            refused(GOOD.replace("\"EUR\"", "\"UYW\""), "currency");
        }
    }

    @Test
    void refusesCardNumbersInEveryFreeTextFieldNamingItAndEchoingNothing() {
        cardRefused(GOOD.replace("\"pm_card_visa\"", "\"4242 4242 4242 4242\""), "payment_method");
        cardRefused(GOOD.replace("\"cus_1\"", "\"cus_4242424242424242\""), "customer_id");
        cardRefused(GOOD.replace("\"d\"", "\"card 4000-0566-5566-5556 exp 12/30\""), "description");
        cardRefused(GOOD.replace("\"o-1\"", "\"4242424242424242\""), "metadata.order");
        // In a metadata key, the key is not echoed: the field named is metadata.
        cardRefused(GOOD.replace("\"order\"", "\"4242424242424242\""), "metadata");
        // An unknown field named like a card is refused without echoing its name.
        RequestValidator.Result unknown = validate(GOOD.replace("{\"amount\"", "{\"4242424242424242\":1,\"amount\""));
        assertThat(unknown.problem().toJson(null).encode()).doesNotContain("4242");
        RequestValidator.Result currency = validate(GOOD.replace("\"EUR\"", "\"4242424242424242\""));
        assertThat(currency.problem().toJson(null).encode()).doesNotContain("4242");
        // Not card numbers: too short or Luhn-invalid.
        assertThat(validate(GOOD.replace("\"cus_1\"", "\"cus_4242424242\"")).problem())
                .isNull();
        assertThat(validate(GOOD.replace("\"cus_1\"", "\"cus_4242424242424241\""))
                        .problem())
                .isNull();
        // Issue 19 §6: a card inside a run of more than 19 digits, or split by dots, is refused.
        cardRefused(GOOD.replace("\"o-1\"", "\"42424242424242424242424\""), "metadata.order");
        cardRefused(GOOD.replace("\"o-1\"", "\"4242.4242.4242.4242\""), "metadata.order");
        cardRefused(GOOD.replace("\"d\"", "\"4242\u00a04242\u00a04242\u00a04242\""), "description");
    }

    @Test
    void refusesMalformedUtf8ThatJacksonWouldDecodeIntoOtherCharacters() {
        byte[] good = GOOD.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int at = GOOD.indexOf("cus_1");
        // C0 AF: an overlong '/'. ED A0 80: an encoded surrogate. F4 90 80 80: beyond U+10FFFF.
        for (byte[] bad : new byte[][] {
            {(byte) 0xc0, (byte) 0xaf},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}
        }) {
            byte[] body = new byte[good.length + bad.length];
            System.arraycopy(good, 0, body, 0, at);
            System.arraycopy(bad, 0, body, at, bad.length);
            System.arraycopy(good, at, body, at + bad.length, good.length - at);
            RequestValidator.Result r =
                    RequestValidator.validate("default", "key-1", "application/json", Buffer.buffer(body));
            assertThat(r.request()).isNull();
            assertThat(r.problem().status()).isEqualTo(400);
        }
    }

    @Test
    void acceptsAGoodRequestWithNonAsciiText() {
        assertThat(validate(GOOD).problem()).isNull();
        RequestValidator.Result r = validate(GOOD.replace("\"d\"", "\"caf\u00e9 \\ud83d\\ude00 \u20ac\""));
        assertThat(r.problem()).isNull();
        assertThat(r.request().description()).isEqualTo("caf\u00e9 \ud83d\ude00 \u20ac");
    }

    @Test
    void refusesDuplicateKeysNamingTheField() {
        refused(GOOD.replace("{\"amount\":100,", "{\"amount\":1,\"amount\":99999,"), "amount");
        refused(GOOD.replace("{\"order\":\"o-1\"}", "{\"order\":\"o-1\",\"order\":\"o-2\"}"), "metadata.order");
    }

    @Test
    void refusesLoneSurrogatesNamingTheField() {
        refused(GOOD.replace("\"cus_1\"", "\"cus\\ud800\""), "customer_id");
        refused(GOOD.replace("\"cus_1\"", "\"cus\\udc00x\""), "customer_id");
        refused(GOOD.replace("\"d\"", "\"\\ud83d\""), "description");
        refused(GOOD.replace("\"o-1\"", "\"o\\ud800\""), "metadata.order");
    }

    @Test
    void refusesControlCharactersInEveryStringField() {
        for (String control : new String[] {"\\u0000", "\\u0007", "\\u001b", "\\u007f", "\\u0080", "\\u009f"}) {
            refused(GOOD.replace("\"cus_1\"", "\"cus" + control + "\""), "customer_id");
            refused(GOOD.replace("\"pm_card_visa\"", "\"pm" + control + "\""), "payment_method");
            refused(GOOD.replace("\"d\"", "\"d" + control + "\""), "description");
            refused(GOOD.replace("\"o-1\"", "\"o" + control + "\""), "metadata.order");
            refused(GOOD.replace("\"order\"", "\"ord" + control + "\""), "metadata.ord" + control);
        }
        // A raw (unescaped) control character is already invalid JSON.
        refused(GOOD.replace("\"d\"", "\"d\u0007\""), "body");
    }

    @Test
    void refusesControlCharactersInTheKey() {
        for (String key : new String[] {"k\u0007", "k\u001b", "k\u0085", "k\u007f", "k\u0000"}) {
            Problem p = RequestValidator.checkKey(key);
            assertThat(p).isNotNull();
            assertThat(p.errors()).extracting(Problem.FieldError::field).containsExactly("Idempotency-Key");
        }
    }

    @Test
    void refusesAnExponentAmount() {
        refused(GOOD.replace("100,", "1e3,"), "amount");
        refused(GOOD.replace("100,", "100.0,"), "amount");
        refused(GOOD.replace("100,", "123456789012345678901234567890,"), "amount");
    }

    @Test
    void malformedBodiesAreNeverThrown() {
        for (String body : new String[] {"{", "[1]", "{\"amount\":1}{}", "\"x\"", "{\"a\":", "{\"a\":[1,{]}", "nul"}) {
            RequestValidator.Result r = validate(body);
            assertThat(r.problem()).as(body).isNotNull();
            assertThat(r.problem().errors())
                    .extracting(Problem.FieldError::field)
                    .containsExactly("body");
        }
    }

    @org.junit.jupiter.api.Test
    void theMediaTypeMustBeExactlyJson() {
        org.assertj.core.api.Assertions.assertThat(RequestValidator.isJson("application/json"))
                .isTrue();
        org.assertj.core.api.Assertions.assertThat(RequestValidator.isJson("Application/JSON; charset=utf-8"))
                .isTrue();
        for (String bad : java.util.Arrays.asList(
                null, "", "application/jsonx", "application/json x", "application/json-patch+json", "text/json")) {
            org.assertj.core.api.Assertions.assertThat(RequestValidator.isJson(bad))
                    .as(bad)
                    .isFalse();
        }
    }
}
