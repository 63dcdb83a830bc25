package com.streamsocial.billing.refund;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.refund.RefundDecision.PaymentState;
import com.streamsocial.billing.refund.RefundDecision.Refusal;
import com.streamsocial.billing.refund.RefundPlanner.Account;
import com.streamsocial.billing.refund.RefundPlanner.Conflict;
import com.streamsocial.billing.refund.RefundPlanner.Duplicate;
import com.streamsocial.billing.refund.RefundPlanner.Reemit;
import com.streamsocial.billing.refund.RefundPlanner.Refund;
import com.streamsocial.billing.refund.RefundPlanner.Refuse;
import com.streamsocial.billing.refund.RefundPlanner.Request;
import com.streamsocial.billing.refund.RefundPlanner.Resume;
import com.streamsocial.billing.refund.RefundPlanner.Step;
import com.streamsocial.billing.refund.RefundPlanner.Stored;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RefundPlannerTest {
    private static Request req(String id, long amount, long offset) {
        return new Request(id, "pay_1", "h-" + id, amount, 0, offset);
    }

    private static Map<String, Account> account(long captured, Stored... stored) {
        return Map.of("pay_1", new Account("pay_1", PaymentState.SUCCEEDED, captured, List.of(stored)));
    }

    @Test
    void refundsOfOneBatchAreDecidedInOrderAgainstTheRunningTotal() {
        List<Step> steps =
                RefundPlanner.plan(List.of(req("a", 600, 1), req("b", 500, 2), req("c", 400, 3)), account(1000));
        assertThat(steps.get(0)).isInstanceOf(Refund.class);
        assertThat(steps.get(1)).isEqualTo(new Refuse(req("b", 500, 2), Refusal.EXCEEDS_REMAINDER, 400));
        assertThat(steps.get(2)).isInstanceOf(Refund.class);
    }

    @Test
    void storedRefundsCountUnlessFailed() {
        Stored done = new Stored("x", "pay_1", "h-x", 700, RefundState.SUCCEEDED, 0, 0);
        Stored failed = new Stored("y", "pay_1", "h-y", 300, RefundState.FAILED, 0, 0);
        assertThat(RefundPlanner.plan(List.of(req("a", 300, 5)), account(1000, done, failed))
                        .get(0))
                .isInstanceOf(Refund.class);
        assertThat(RefundPlanner.plan(List.of(req("a", 301, 5)), account(1000, done, failed))
                        .get(0))
                .isEqualTo(new Refuse(req("a", 301, 5), Refusal.EXCEEDS_REMAINDER, 300));
        Stored all = new Stored("x", "pay_1", "h-x", 1000, RefundState.REFUNDING, 0, 0);
        assertThat(RefundPlanner.plan(List.of(req("a", 1, 5)), account(1000, all))
                        .get(0))
                .isEqualTo(new Refuse(req("a", 1, 5), Refusal.FULLY_REFUNDED, 0));
    }

    @Test
    void aKnownRefundIsResumedReemittedOrADuplicateNeverRefundedAgain() {
        Stored refunding = new Stored("a", "pay_1", "h-a", 100, RefundState.REFUNDING, 0, 1);
        Stored succeeded = new Stored("a", "pay_1", "h-a", 100, RefundState.SUCCEEDED, 0, 1);
        assertThat(RefundPlanner.plan(List.of(req("a", 100, 1)), account(1000, refunding)))
                .containsExactly(new Resume(refunding));
        assertThat(RefundPlanner.plan(List.of(req("a", 100, 1)), account(1000, succeeded)))
                .containsExactly(new Reemit(succeeded));
        // the gateway published it again (a crash between its commits): same request, another offset
        assertThat(RefundPlanner.plan(List.of(req("a", 100, 9)), account(1000, succeeded)))
                .containsExactly(new Duplicate(req("a", 100, 9)));
        assertThat(RefundPlanner.plan(List.of(req("a", 100, 1), req("a", 100, 9)), account(1000, refunding)))
                .containsExactly(new Resume(refunding), new Duplicate(req("a", 100, 9)));
        assertThat(RefundPlanner.plan(List.of(req("b", 100, 1), req("b", 100, 2)), account(1000))
                        .get(1))
                .isEqualTo(new Duplicate(req("b", 100, 2)));
    }

    @Test
    void anotherRequestUnderAKnownRefundIdIsAConflict() {
        Stored succeeded = new Stored("a", "pay_1", "h-a", 100, RefundState.SUCCEEDED, 0, 1);
        Request otherHash = new Request("a", "pay_1", "other", 100, 0, 7);
        Request otherPayment = new Request("a", "pay_2", "h-a", 100, 0, 8);
        assertThat(RefundPlanner.plan(List.of(otherHash, otherPayment), account(1000, succeeded)))
                .containsExactly(new Conflict(otherHash), new Conflict(otherPayment));
        assertThat(RefundPlanner.plan(
                                List.of(req("b", 100, 1), new Request("b", "pay_1", "x", 100, 0, 2)), account(1000))
                        .get(1))
                .isInstanceOf(Conflict.class);
        assertThat(RefundPlanner.plan(List.of(req("c", 0, 1)), account(1000)))
                .containsExactly(new Conflict(req("c", 0, 1)));
    }

    @Test
    void aRefundIdStoredUnderAnotherPaymentIsAConflictNeverASecondRefund() {
        // the gateway lost the intent (a crash between its commits) and the key came back for pay_2
        Stored onPay1 = new Stored("a", "pay_1", "h-a", 100, RefundState.SUCCEEDED, 0, 1);
        Request forPay2 = new Request("a", "pay_2", "h-other", 100, 0, 9);
        Map<String, Account> pay2 = Map.of("pay_2", new Account("pay_2", PaymentState.SUCCEEDED, 1000, List.of()));
        assertThat(RefundPlanner.plan(List.of(forPay2), pay2, List.of(onPay1))).containsExactly(new Conflict(forPay2));
    }

    @Test
    void aPaymentTheLedgerDoesNotHaveOrHasNotSucceededIsRefused() {
        assertThat(RefundPlanner.plan(List.of(req("a", 1, 1)), Map.of()).get(0))
                .isEqualTo(new Refuse(req("a", 1, 1), Refusal.PAYMENT_NOT_REFUNDABLE, 0));
        Map<String, Account> failed = Map.of("pay_1", new Account("pay_1", PaymentState.FAILED, 1000, List.of()));
        assertThat(((Refuse) RefundPlanner.plan(List.of(req("a", 1, 1)), failed).get(0)).why())
                .isEqualTo(Refusal.PAYMENT_NOT_REFUNDABLE);
    }
}
