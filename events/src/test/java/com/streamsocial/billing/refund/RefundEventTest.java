package com.streamsocial.billing.refund;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.DecodeError.Code;
import com.streamsocial.billing.events.PaymentIds;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RefundEventTest {
    private static final RefundEvent EVENT = new RefundEvent(
            RefundIds.refundId("t", "rk"),
            PaymentIds.paymentId("t", "pk"),
            "t",
            "rk",
            "h",
            250,
            "USD",
            Optional.of(RefundReason.DUPLICATE),
            7);

    private static Code code(JsonObject json) {
        return RefundEvent.decode(json.toBuffer().getBytes()).error().code();
    }

    @Test
    void anEventSurvivesItsWireFormWithAndWithoutAReason() {
        assertThat(RefundEvent.decode(EVENT.toBytes()).orElseThrow()).isEqualTo(EVENT);
        RefundEvent noReason =
                new RefundEvent(EVENT.refundId(), EVENT.paymentId(), "t", "rk", "h", 250, "USD", Optional.empty(), 7);
        assertThat(RefundEvent.decode(noReason.toBytes()).orElseThrow()).isEqualTo(noReason);
    }

    @Test
    void eachBrokenFieldIsRefusedWithItsCode() {
        assertThat(code(EVENT.toJson().put("extra", 1))).isEqualTo(Code.UNKNOWN_FIELD);
        assertThat(code(EVENT.toJson().putNull("amount"))).isEqualTo(Code.NULL_FIELD);
        assertThat(code(EVENT.toJson().put("amount", "250"))).isEqualTo(Code.WRONG_TYPE);
        assertThat(code(EVENT.toJson().put("amount", 0))).isEqualTo(Code.OUT_OF_RANGE);
        assertThat(code(EVENT.toJson().put("amount", RefundDecision.AMOUNT_MAX_MINOR + 1)))
                .isEqualTo(Code.OUT_OF_RANGE);
        assertThat(code(EVENT.toJson().put("type", "payment.accepted"))).isEqualTo(Code.UNKNOWN_TYPE);
        assertThat(code(EVENT.toJson().put("refund_id", RefundIds.refundId("t", "other"))))
                .isEqualTo(Code.INVALID_FIELD);
        assertThat(code(EVENT.toJson().put("reason", "because"))).isEqualTo(Code.INVALID_FIELD);
        assertThat(code(EVENT.toJson().put("currency", "XXX"))).isEqualTo(Code.INVALID_FIELD);
        JsonObject missing = EVENT.toJson();
        missing.remove("request_hash");
        assertThat(code(missing)).isEqualTo(Code.MISSING_FIELD);
        assertThat(RefundEvent.decode(null).error().code()).isEqualTo(Code.NO_VALUE);
        assertThat(RefundEvent.decode("[]".getBytes(StandardCharsets.UTF_8))
                        .error()
                        .code())
                .isEqualTo(Code.NOT_AN_OBJECT);
    }

    @Test
    void randomBytesAndTruncationsNeverThrow() {
        byte[] good = EVENT.toBytes();
        Random rnd = new Random(211);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = java.util.Arrays.copyOf(good, rnd.nextInt(good.length + 1));
            if (b.length > 0 && rnd.nextBoolean()) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
            assertThat(RefundEvent.decode(b)).isNotNull();
        }
    }
}
