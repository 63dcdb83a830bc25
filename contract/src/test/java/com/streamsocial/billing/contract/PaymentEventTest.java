package com.streamsocial.billing.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PaymentEventTest {
    private static PaymentEvent event(String key) {
        return new PaymentEvent(
                PaymentIds.paymentId("t", key), "t", key, "h", 100, "USD", "c", "pm", "d", Map.of("a", "b"), 7);
    }

    @Test
    void roundTripsThroughJson() {
        PaymentEvent e = event("k1");
        assertThat(PaymentEvent.parse(e.toBytes())).isEqualTo(e);
    }

    @Test
    void refusesWhatIsOffContract() {
        assertThatThrownBy(() -> PaymentEvent.parse("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(EventFormatException.class);
        assertThatThrownBy(() -> PaymentEvent.parse(null)).isInstanceOf(EventFormatException.class);
        // An id that does not derive from (tenant, key) is forged or corrupt.
        byte[] forged =
                event("k1").toJson().put("idempotency_key", "k2").toBuffer().getBytes();
        assertThatThrownBy(() -> PaymentEvent.parse(forged)).hasMessageContaining("does not derive");
        byte[] badCurrency =
                event("k1").toJson().put("currency", "XYZ").toBuffer().getBytes();
        assertThatThrownBy(() -> PaymentEvent.parse(badCurrency)).hasMessageContaining("ISO 4217");
        byte[] nul =
                event("k1").toJson().put("customer_id", "a\u0000b").toBuffer().getBytes();
        assertThatThrownBy(() -> PaymentEvent.parse(nul)).hasMessageContaining("NUL");
    }

    @Test
    void paymentIdsAreDeterministicAndDistinct() {
        assertThat(PaymentIds.paymentId("t", "k")).isEqualTo(PaymentIds.paymentId("t", "k"));
        assertThat(PaymentIds.paymentId("t", "k")).isNotEqualTo(PaymentIds.paymentId("u", "k"));
        assertThat(PaymentIds.looksLikePaymentId(PaymentIds.paymentId("t", "k")))
                .isTrue();
        assertThat(PaymentIds.looksLikePaymentId("pay_xyz")).isFalse();
    }
}
