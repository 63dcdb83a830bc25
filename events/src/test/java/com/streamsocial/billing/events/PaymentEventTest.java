package com.streamsocial.billing.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.events.DecodeError.Code;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PaymentEventTest {
    private static PaymentEvent event(String key) {
        return new PaymentEvent(
                PaymentIds.paymentId("t", key), "t", key, "h", 100, "USD", "c", "pm", "d", Map.of("a", "b"), 7);
    }

    private static JsonObject good() {
        return event("k1").toJson();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] with(String field, Object value) {
        return good().put(field, value).toBuffer().getBytes();
    }

    private static byte[] without(String field) {
        JsonObject j = good();
        j.remove(field);
        return j.toBuffer().getBytes();
    }

    @Test
    void roundTripsThroughJson() {
        PaymentEvent e = event("k1");
        assertThat(PaymentEvent.decode(e.toBytes())).isEqualTo(Decoded.ok(e));
        assertThat(PaymentEvent.parse(e.toBytes())).isEqualTo(e);
        // description and metadata are optional.
        assertThat(PaymentEvent.decode(without("description")).isOk()).isTrue();
        assertThat(PaymentEvent.decode(without("metadata")).isOk()).isTrue();
    }

    /** The streamed bytes are the JsonObject's bytes, byte for byte, for any text, nulls and metadata. */
    @Test
    void theStreamedBytesAreTheJsonObjectsBytes() {
        Random random = new Random(23);
        String hostile = "\"\\/\b\f\n\r\t\u0000\u001f\u007f é ✓ \ud83d\udcb3";
        for (int i = 0; i < 2_000; i++) {
            Map<String, String> metadata = new java.util.HashMap<>();
            int entries = random.nextInt(4);
            for (int m = 0; m < entries; m++) {
                metadata.put("k" + random.nextInt(50) + text(random, hostile), text(random, hostile));
            }
            PaymentEvent e = new PaymentEvent(
                    "pay_" + i,
                    text(random, hostile),
                    text(random, hostile),
                    "h" + i,
                    random.nextLong(),
                    "EUR",
                    random.nextBoolean() ? null : text(random, hostile),
                    random.nextBoolean() ? null : text(random, hostile),
                    random.nextBoolean() ? null : text(random, hostile),
                    metadata,
                    random.nextLong());
            assertThat(new String(e.toBytes(), StandardCharsets.UTF_8))
                    .isEqualTo(e.toJson().toBuffer().toString());
        }
    }

    private static String text(Random random, String pool) {
        StringBuilder b = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            b.append(
                    random.nextInt(3) == 0
                            ? pool.charAt(random.nextInt(pool.length() - 2))
                            : (char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }

    /** One row per kind of bad record: the code it must get. */
    static Stream<Arguments> badRecords() {
        String longKey = "k".repeat(PaymentEventDecoder.KEY_LENGTH_MAX + 1);
        return Stream.of(
                Arguments.of("no value", null, Code.NO_VALUE),
                Arguments.of("not JSON", bytes("not json"), Code.UNPARSEABLE),
                Arguments.of("empty", new byte[0], Code.UNPARSEABLE),
                Arguments.of("truncated", bytes("{\"type\":\"payment.accepted\""), Code.UNPARSEABLE),
                Arguments.of(
                        "bad UTF-8",
                        new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'},
                        Code.UNPARSEABLE),
                Arguments.of("trailing data", bytes(good().encode() + "{}"), Code.UNPARSEABLE),
                Arguments.of(
                        "duplicate key",
                        bytes("{\"amount\":1," + good().encode().substring(1)),
                        Code.UNPARSEABLE),
                Arguments.of("comment", bytes("/*x*/" + good().encode()), Code.UNPARSEABLE),
                Arguments.of(
                        "NaN", bytes(good().encode().replace("\"amount\":100", "\"amount\":NaN")), Code.UNPARSEABLE),
                Arguments.of("array", bytes("[1,2]"), Code.NOT_AN_OBJECT),
                Arguments.of("string", bytes("\"x\""), Code.NOT_AN_OBJECT),
                Arguments.of("JSON null", bytes("null"), Code.NOT_AN_OBJECT),
                Arguments.of("null amount", with("amount", null), Code.NULL_FIELD),
                Arguments.of("null accepted_at_ms", with("accepted_at_ms", null), Code.NULL_FIELD),
                Arguments.of("null tenant", with("tenant", null), Code.NULL_FIELD),
                Arguments.of("null metadata value", with("metadata", new JsonObject().putNull("a")), Code.NULL_FIELD),
                Arguments.of("null description", with("description", null), Code.NULL_FIELD),
                Arguments.of("amount as string", with("amount", "100"), Code.WRONG_TYPE),
                Arguments.of("amount as fraction", with("amount", 19.99), Code.WRONG_TYPE),
                Arguments.of(
                        "amount as exponent",
                        bytes(good().encode().replace("\"amount\":100", "\"amount\":1e2")),
                        Code.WRONG_TYPE),
                Arguments.of("amount as boolean", with("amount", true), Code.WRONG_TYPE),
                Arguments.of("tenant as number", with("tenant", 7), Code.WRONG_TYPE),
                Arguments.of("metadata as array", with("metadata", new JsonArray().add("a")), Code.WRONG_TYPE),
                Arguments.of(
                        "metadata value as number", with("metadata", new JsonObject().put("a", 1)), Code.WRONG_TYPE),
                Arguments.of("nested object", with("customer_id", new JsonObject().put("a", "b")), Code.WRONG_TYPE),
                Arguments.of("unknown type", with("type", "payment.refunded"), Code.UNKNOWN_TYPE),
                Arguments.of("unknown field", with("amount_override", 1), Code.UNKNOWN_FIELD),
                Arguments.of(
                        "oversize value",
                        with("description", "d".repeat(PaymentEventDecoder.VALUE_BYTES_MAX)),
                        Code.OVERSIZE),
                Arguments.of("oversize description", with("description", "d".repeat(1_001)), Code.OVERSIZE),
                Arguments.of("oversize key", with("idempotency_key", longKey), Code.OVERSIZE),
                Arguments.of("too many metadata pairs", with("metadata", manyPairs(21)), Code.OVERSIZE),
                Arguments.of("deep nesting", bytes("{\"metadata\":{\"a\":[[[[1]]]]}}"), Code.OVERSIZE),
                Arguments.of("missing type", without("type"), Code.MISSING_FIELD),
                Arguments.of("missing amount", without("amount"), Code.MISSING_FIELD),
                Arguments.of("missing payment_id", without("payment_id"), Code.MISSING_FIELD),
                Arguments.of("missing accepted_at_ms", without("accepted_at_ms"), Code.MISSING_FIELD),
                Arguments.of("empty customer_id", with("customer_id", ""), Code.INVALID_FIELD),
                Arguments.of("bad currency", with("currency", "XYZ"), Code.INVALID_FIELD),
                Arguments.of("lower-case currency", with("currency", "usd"), Code.INVALID_FIELD),
                Arguments.of("NUL", with("customer_id", "a\u0000b"), Code.INVALID_FIELD),
                Arguments.of("lone surrogate", with("customer_id", "cus\ud800"), Code.INVALID_FIELD),
                Arguments.of("forged id", with("idempotency_key", "k2"), Code.INVALID_FIELD),
                Arguments.of("tenant with a space", with("tenant", "a b"), Code.INVALID_FIELD),
                Arguments.of("tenant too long", with("tenant", "t".repeat(65)), Code.OVERSIZE),
                Arguments.of("amount zero", with("amount", 0), Code.OUT_OF_RANGE),
                Arguments.of("amount negative", with("amount", -5), Code.OUT_OF_RANGE),
                Arguments.of("amount too large", with("amount", 100_000_000), Code.OUT_OF_RANGE),
                Arguments.of(
                        "amount beyond 64 bits",
                        bytes(good().encode().replace("\"amount\":100", "\"amount\":99999999999999999999")),
                        Code.OUT_OF_RANGE),
                Arguments.of("accepted_at_ms zero", with("accepted_at_ms", 0), Code.OUT_OF_RANGE),
                Arguments.of(
                        "accepted_at_ms past year 9999", with("accepted_at_ms", Long.MAX_VALUE), Code.OUT_OF_RANGE),
                Arguments.of(
                        "the poison record of issue 6",
                        bytes("{\"type\":\"payment.accepted\",\"payment_id\":\"pay_poison\",\"tenant\":\"default\","
                                + "\"idempotency_key\":\"p\",\"request_hash\":\"x\",\"amount\":null,\"currency\":\"EUR\","
                                + "\"customer_id\":\"c\",\"payment_method\":\"pm_card_visa\",\"description\":\"\","
                                + "\"metadata\":{},\"accepted_at_ms\":1}"),
                        Code.NULL_FIELD));
    }

    private static JsonObject manyPairs(int n) {
        JsonObject m = new JsonObject();
        for (int i = 0; i < n; i++) {
            m.put("k" + i, "v");
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRecords")
    void everyKindOfBadRecordGetsItsCode(String name, byte[] value, Code expected) {
        Decoded<PaymentEvent> d = PaymentEvent.decode(value);
        assertThat(d.error()).as(name).isNotNull();
        assertThat(d.error().code()).as(name + ": " + d.error().message()).isEqualTo(expected);
        assertThat(d.error().message()).isNotBlank();
    }

    @Test
    void parseThrowsOnlyEventFormatException() {
        assertThatThrownBy(() -> PaymentEvent.parse(null)).isInstanceOf(EventFormatException.class);
        assertThatThrownBy(() -> PaymentEvent.parse(with("amount", null)))
                .isInstanceOf(EventFormatException.class)
                .hasMessageContaining("null_field");
    }

    /**
     * Property: no input makes the decoder throw or fail internally. Inputs are random mutations of a
     * valid event (bytes flipped, inserted, cut, fields removed or replaced by values of every JSON
     * type) and random bytes, from a fixed seed so a failure is reproducible.
     */
    @Test
    void noInputThrows() {
        Random random = new Random(20_240_606L);
        byte[] valid = event("k1").toBytes();
        List<Object> oddValues = new ArrayList<>(List.of(
                "", "x", 0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1.5, true, false, new JsonObject(), new JsonArray()));
        oddValues.add(new JsonObject().put("a", new JsonObject().put("b", 1)));
        oddValues.add("\ud800");
        oddValues.add("a\u0000");
        String[] fields = good().fieldNames().toArray(String[]::new);
        int decoded = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] input;
            switch (i % 5) {
                case 0 -> {
                    input = valid.clone();
                    for (int k = 0; k <= random.nextInt(4); k++) {
                        input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                    }
                }
                case 1 -> input = java.util.Arrays.copyOf(valid, random.nextInt(valid.length + 1));
                case 2 -> {
                    int at = random.nextInt(valid.length);
                    byte[] extra = new byte[1 + random.nextInt(8)];
                    random.nextBytes(extra);
                    input = new byte[valid.length + extra.length];
                    System.arraycopy(valid, 0, input, 0, at);
                    System.arraycopy(extra, 0, input, at, extra.length);
                    System.arraycopy(valid, at, input, at + extra.length, valid.length - at);
                }
                case 3 -> {
                    JsonObject j = good();
                    Object v = oddValues.get(random.nextInt(oddValues.size()));
                    String f = random.nextInt(10) == 0 ? "extra" : fields[random.nextInt(fields.length)];
                    if (random.nextInt(4) == 0) {
                        j.remove(f);
                    } else {
                        j.put(f, v);
                    }
                    input = j.toBuffer().getBytes();
                }
                default -> {
                    input = new byte[random.nextInt(64)];
                    random.nextBytes(input);
                }
            }
            Decoded<PaymentEvent> d = PaymentEvent.decode(input);
            assertThat(d).isNotNull();
            if (d.isOk()) {
                decoded++;
            } else {
                assertThat(d.error().code()).as(d.error().message()).isNotEqualTo(Code.INTERNAL);
            }
        }
        // Some mutations (in the description, say) leave a valid event: the generator reaches both sides.
        assertThat(decoded).isPositive();
    }

    @Test
    void paymentIdsAreDeterministicAndDistinct() {
        // Pinned to a value computed outside the code (printf 't\0k' | sha256sum, first 32 hex digits):
        // every instance and every release must derive the same id for the same (tenant, key).
        assertThat(PaymentIds.paymentId("t", "k")).isEqualTo("pay_f31e38a4251c28e34c5d3af84b76d674");
        assertThat(PaymentIds.paymentId("t", "k")).isNotEqualTo(PaymentIds.paymentId("u", "k"));
        assertThat(PaymentIds.looksLikePaymentId(PaymentIds.paymentId("t", "k")))
                .isTrue();
        assertThat(PaymentIds.looksLikePaymentId("pay_xyz")).isFalse();
    }
}
