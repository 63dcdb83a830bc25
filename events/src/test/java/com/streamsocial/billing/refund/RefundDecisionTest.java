package com.streamsocial.billing.refund;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.refund.RefundDecision.Accept;
import com.streamsocial.billing.refund.RefundDecision.Payment;
import com.streamsocial.billing.refund.RefundDecision.PaymentState;
import com.streamsocial.billing.refund.RefundDecision.Refusal;
import com.streamsocial.billing.refund.RefundDecision.Refuse;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RefundDecisionTest {
    private static RefundDecision.Outcome decide(PaymentState s, long captured, long held, Long amount) {
        return RefundDecision.decide(
                new Payment(s, captured, held), amount == null ? OptionalLong.empty() : OptionalLong.of(amount));
    }

    @Test
    void anAmountLeftOutIsTheRest() {
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 0, null)).isEqualTo(new Accept(1000, 1000));
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 300, null)).isEqualTo(new Accept(700, 700));
    }

    @Test
    void anAmountUpToTheRemainderIsAcceptedAndOneOverIsRefused() {
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 300, 700L)).isEqualTo(new Accept(700, 700));
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 300, 1L)).isEqualTo(new Accept(1, 700));
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 300, 701L))
                .isEqualTo(new Refuse(Refusal.EXCEEDS_REMAINDER, 700));
    }

    @Test
    void nothingRemainingIsFullyRefundedWhateverIsAsked() {
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 1000, null)).isEqualTo(new Refuse(Refusal.FULLY_REFUNDED, 0));
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 1000, 1L)).isEqualTo(new Refuse(Refusal.FULLY_REFUNDED, 0));
        // held above captured (a lost intent re-published) is still nothing remaining, never negative
        assertThat(decide(PaymentState.SUCCEEDED, 1000, 1500, 1L)).isEqualTo(new Refuse(Refusal.FULLY_REFUNDED, 0));
    }

    @Test
    void aPendingPaymentIsAConflictAndAFailedOneIsNotRefundable() {
        Refuse pending = (Refuse) decide(PaymentState.PENDING, 1000, 0, 10L);
        assertThat(pending.why()).isEqualTo(Refusal.PAYMENT_PENDING);
        assertThat(pending.why().httpStatus).isEqualTo(409);
        Refuse failed = (Refuse) decide(PaymentState.FAILED, 1000, 0, null);
        assertThat(failed.why()).isEqualTo(Refusal.PAYMENT_NOT_REFUNDABLE);
        assertThat(failed.why().httpStatus).isEqualTo(422);
        assertThat(Refusal.EXCEEDS_REMAINDER.httpStatus).isEqualTo(422);
        assertThat(Refusal.FULLY_REFUNDED.httpStatus).isEqualTo(422);
    }

    @Test
    void anAmountOutsideTheContractIsABugOfTheCaller() {
        assertThatThrownBy(() -> decide(PaymentState.SUCCEEDED, 1000, 0, 0L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> decide(PaymentState.SUCCEEDED, 1000, 0, RefundDecision.AMOUNT_MAX_MINOR + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Payment(PaymentState.SUCCEEDED, -1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
