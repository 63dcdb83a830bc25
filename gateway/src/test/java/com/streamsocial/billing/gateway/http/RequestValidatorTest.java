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
}
