package com.streamsocial.billing.refund;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RefundStateTest {
    @Test
    void exactlyTheDocumentedMovesAreAllowed() {
        Set<String> allowed = Set.of("PENDING>REFUNDING", "PENDING>FAILED", "REFUNDING>SUCCEEDED", "REFUNDING>FAILED");
        for (RefundState from : RefundState.values()) {
            for (RefundState to : RefundState.values()) {
                boolean expected = allowed.contains(from + ">" + to);
                assertThat(from.canMoveTo(to)).as(from + " to " + to).isEqualTo(expected);
                if (expected) {
                    assertThat(from.transitionTo(to)).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> from.transitionTo(to)).isInstanceOf(IllegalStateException.class);
                }
            }
        }
    }

    @Test
    void clientsSeeRefundingAsPendingAndOnlyFailedFreesItsAmount() {
        assertThat(RefundState.REFUNDING.publicWire()).isEqualTo("pending");
        assertThat(RefundState.SUCCEEDED.publicWire()).isEqualTo("succeeded");
        assertThat(EnumSet.allOf(RefundState.class).stream().filter(s -> !s.holdsAmount()))
                .containsExactly(RefundState.FAILED);
        assertThat(RefundState.fromWire("refunding")).contains(RefundState.REFUNDING);
        assertThat(RefundState.fromWire("REFUNDING")).isEmpty();
        assertThat(RefundState.fromWire(null)).isEmpty();
        assertThat(RefundReason.fromWire("requested_by_customer")).contains(RefundReason.REQUESTED_BY_CUSTOMER);
        assertThat(RefundReason.fromWire("because")).isEmpty();
    }

    @Test
    void refundIdsAreDerivedAndApartFromPaymentIds() {
        String id = RefundIds.refundId("t", "k");
        assertThat(id).isEqualTo(RefundIds.refundId("t", "k")).startsWith("re_").hasSize(35);
        assertThat(RefundIds.looksLikeRefundId(id)).isTrue();
        assertThat(RefundIds.refundId("u", "k")).isNotEqualTo(id);
        assertThat(RefundIds.refundId("t", "k2")).isNotEqualTo(id);
        String paymentHex =
                com.streamsocial.billing.events.PaymentIds.paymentId("t", "k").substring(4);
        assertThat(id.substring(3)).isNotEqualTo(paymentHex);
        assertThat(RefundIds.looksLikeRefundId("re_" + "A".repeat(32))).isFalse();
        assertThat(RefundIds.looksLikeRefundId(id + "0")).isFalse();
        assertThat(RefundIds.providerKey(id)).isEqualTo(id);
    }
}
