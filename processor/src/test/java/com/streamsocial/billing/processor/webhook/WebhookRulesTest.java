package com.streamsocial.billing.processor.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.webhook.ProviderEvent.Refund;
import com.streamsocial.billing.processor.webhook.ProviderEvent.RefundStatus;
import com.streamsocial.billing.processor.webhook.WebhookRules.HeldRefund;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WebhookRulesTest {
    private static Refund ok(String id, long amount) {
        return new Refund(id, amount, "USD", RefundStatus.SUCCEEDED);
    }

    @Test
    void aFinalPaymentIsNeverDecidedAgain() {
        assertThat(WebhookRules.decidable("charging")).isTrue();
        assertThat(WebhookRules.decidable("claimed")).isTrue();
        assertThat(WebhookRules.decidable("succeeded")).isFalse();
        assertThat(WebhookRules.decidable("failed")).isFalse();
    }

    @Test
    void aForeignRefundIsRecordedWithinWhatRemainsAndRefusedBeyond() {
        List<HeldRefund> held = List.of(new HeldRefund("re_ours", "re_p1", 600, "succeeded"));
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_dash", 400))))
                .containsExactly(new WebhookRules.RecordForeign(ok("re_dash", 400)));
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_dash", 401))))
                .containsExactly(new WebhookRules.OverCapture(ok("re_dash", 401), 400));
        // Two in one event: the first takes the remainder.
        List<WebhookRules.RefundStep> two = WebhookRules.refunds(1_000, held, List.of(ok("a", 300), ok("b", 200)));
        assertThat(two.get(0)).isInstanceOf(WebhookRules.RecordForeign.class);
        assertThat(two.get(1)).isInstanceOf(WebhookRules.OverCapture.class);
        assertThat(WebhookRules.refundOutcome(two)).isEqualTo(WebhookRules.Outcome.BOUND_EXCEEDED);
        // A payment that captured nothing has nothing to refund.
        assertThat(WebhookRules.refunds(0, List.of(), List.of(ok("x", 1))).get(0))
                .isInstanceOf(WebhookRules.OverCapture.class);
    }

    @Test
    void aPendingRefundOfOursIsDecidedOnceAndAKnownRefundIsNotRecordedAgain() {
        List<HeldRefund> held = List.of(new HeldRefund("re_ours", "re_p1", 600, "refunding"));
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_p1", 600))))
                .containsExactly(new WebhookRules.DecideOurs(ok("re_p1", 600), "re_ours", true));
        Refund failed = new Refund("re_p1", 600, "USD", RefundStatus.FAILED);
        assertThat(WebhookRules.refunds(1_000, held, List.of(failed)))
                .containsExactly(new WebhookRules.DecideOurs(failed, "re_ours", false));
        Refund stillPending = new Refund("re_p1", 600, "USD", RefundStatus.PENDING);
        assertThat(WebhookRules.refunds(1_000, held, List.of(stillPending)))
                .containsExactly(new WebhookRules.NoChange(stillPending));
        List<HeldRefund> decided = List.of(new HeldRefund("re_ours", "re_p1", 600, "succeeded"));
        assertThat(WebhookRules.refunds(1_000, decided, List.of(failed)))
                .as("a decided refund is final")
                .containsExactly(new WebhookRules.NoChange(failed));
        List<HeldRefund> foreign = List.of(new HeldRefund("re_dash", "re_dash", 100, "succeeded"));
        assertThat(WebhookRules.refunds(1_000, foreign, List.of(ok("re_dash", 100))))
                .containsExactly(new WebhookRules.NoChange(ok("re_dash", 100)));
        assertThat(WebhookRules.refundOutcome(WebhookRules.refunds(1_000, foreign, List.of(ok("re_dash", 100)))))
                .isEqualTo(WebhookRules.Outcome.STALE);
    }

    /** Seeded walks: whatever refunds arrive, in whatever order and repeated, held never exceeds captured. */
    @Test
    void refundedNeverExceedsCapturedWhateverArrives() {
        Random random = new Random(2112);
        for (int run = 0; run < 2_000; run++) {
            long captured = 1 + random.nextInt(5_000);
            List<HeldRefund> held = new ArrayList<>();
            for (int event = 0; event < 12; event++) {
                List<Refund> seen = new ArrayList<>();
                for (int k = random.nextInt(3); k >= 0; k--) {
                    seen.add(new Refund(
                            "re_" + random.nextInt(8),
                            1 + random.nextInt(2_000),
                            "USD",
                            RefundStatus.values()[random.nextInt(3)]));
                }
                for (WebhookRules.RefundStep s : WebhookRules.refunds(captured, held, seen)) {
                    if (s instanceof WebhookRules.RecordForeign f) {
                        held.add(new HeldRefund(
                                f.refund().providerRefundId(),
                                f.refund().providerRefundId(),
                                f.refund().amountMinor(),
                                "succeeded"));
                    }
                }
                long sum = held.stream().mapToLong(HeldRefund::amountMinor).sum();
                assertThat(sum).isLessThanOrEqualTo(captured);
                assertThat(held.stream().map(HeldRefund::refundId).distinct().count())
                        .as("each refund id recorded once")
                        .isEqualTo(held.size());
            }
        }
    }

    @Test
    void aDisputeMovesForwardOnlyAndNeverOnceClosed() {
        assertThat(WebhookRules.disputeNewer(null, false, "needs_response", false))
                .isTrue();
        assertThat(WebhookRules.disputeNewer("needs_response", false, "under_review", false))
                .isTrue();
        assertThat(WebhookRules.disputeNewer("under_review", false, "needs_response", false))
                .isFalse();
        assertThat(WebhookRules.disputeNewer("needs_response", false, "needs_response", false))
                .isFalse();
        assertThat(WebhookRules.disputeNewer("under_review", false, "won", true))
                .isTrue();
        assertThat(WebhookRules.disputeNewer("lost", true, "needs_response", false))
                .isFalse();
        assertThat(WebhookRules.disputeNewer("lost", true, "won", true)).isFalse();
    }

    @Test
    void aFailedRefundHoldsNothingAndIsFinal() {
        List<HeldRefund> held = List.of(new HeldRefund("re_ours", "re_p1", 600, "failed"));
        // Failed: its 600 is free again, so 1,000 fits the capture exactly.
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_dash", 1_000))))
                .containsExactly(new WebhookRules.RecordForeign(ok("re_dash", 1_000)));
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_p1", 600))))
                .as("a failed refund is final: a later success changes nothing")
                .containsExactly(new WebhookRules.NoChange(ok("re_p1", 600)));
        List<HeldRefund> pending = List.of(new HeldRefund("re_ours", "re_p1", 600, "refunding"));
        assertThat(WebhookRules.refunds(1_000, pending, List.of(ok("re_dash", 401))))
                .as("a pending refund holds its amount")
                .containsExactly(new WebhookRules.OverCapture(ok("re_dash", 401), 400));
    }

    @Test
    void aRefundIsKnownByItsProviderIdOrOurs() {
        // Ours, its provider id not stored (the answer was lost): found by our id.
        List<HeldRefund> held = List.of(new HeldRefund("re_ours", null, 300, "refunding"));
        assertThat(WebhookRules.refunds(1_000, held, List.of(ok("re_ours", 300))))
                .containsExactly(new WebhookRules.DecideOurs(ok("re_ours", 300), "re_ours", true));
        List<HeldRefund> byProvider = List.of(new HeldRefund("re_ours", "re_p9", 300, "refunding"));
        assertThat(WebhookRules.refunds(1_000, byProvider, List.of(ok("re_p9", 300))))
                .containsExactly(new WebhookRules.DecideOurs(ok("re_p9", 300), "re_ours", true));
    }

    @Test
    void onlyASucceededUnknownRefundIsRecordedAndOnceAnEvent() {
        Refund pending = new Refund("re_new", 100, "USD", RefundStatus.PENDING);
        Refund failed = new Refund("re_new", 100, "USD", RefundStatus.FAILED);
        assertThat(WebhookRules.refunds(1_000, List.of(), List.of(pending)))
                .containsExactly(new WebhookRules.NoChange(pending));
        assertThat(WebhookRules.refunds(1_000, List.of(), List.of(failed)))
                .containsExactly(new WebhookRules.NoChange(failed));
        assertThat(WebhookRules.refunds(1_000, List.of(), List.of(ok("re_new", 100), ok("re_new", 100))))
                .containsExactly(
                        new WebhookRules.RecordForeign(ok("re_new", 100)),
                        new WebhookRules.NoChange(ok("re_new", 100)));
        // Held more than captured (a capture of 0 after a break): nothing remains, never a negative.
        List<HeldRefund> over = List.of(new HeldRefund("re_x", "re_x", 100, "succeeded"));
        assertThat(WebhookRules.refunds(0, over, List.of(ok("re_y", 1))))
                .containsExactly(new WebhookRules.OverCapture(ok("re_y", 1), 0));
    }

    @Test
    void anEventsOutcomeIsAppliedStaleOrBoundExceeded() {
        Refund r = ok("re_1", 1);
        assertThat(WebhookRules.refundOutcome(List.of())).isEqualTo(WebhookRules.Outcome.STALE);
        assertThat(WebhookRules.refundOutcome(List.of(new WebhookRules.NoChange(r))))
                .isEqualTo(WebhookRules.Outcome.STALE);
        assertThat(WebhookRules.refundOutcome(List.of(new WebhookRules.DecideOurs(r, "re_o", false))))
                .isEqualTo(WebhookRules.Outcome.APPLIED);
        assertThat(WebhookRules.refundOutcome(List.of(new WebhookRules.NoChange(r), new WebhookRules.RecordForeign(r))))
                .isEqualTo(WebhookRules.Outcome.APPLIED);
        assertThat(WebhookRules.refundOutcome(
                        List.of(new WebhookRules.RecordForeign(r), new WebhookRules.OverCapture(r, 0))))
                .isEqualTo(WebhookRules.Outcome.BOUND_EXCEEDED);
        assertThat(WebhookRules.Outcome.BOUND_EXCEEDED.wire()).isEqualTo("bound_exceeded");
        assertThat(WebhookRules.Outcome.UNKNOWN_OBJECT.wire()).isEqualTo("unknown_object");
    }

    @Test
    void otherPaymentStatesAreNotDecidable() {
        assertThat(WebhookRules.decidable("refunded")).isFalse();
        assertThat(WebhookRules.decidable(null)).isFalse();
    }

    @Test
    void aDisputeUnderReviewOrClosedRanksAboveOpen() {
        assertThat(WebhookRules.disputeNewer("open", false, "under_review", false))
                .isTrue();
        assertThat(WebhookRules.disputeNewer("under_review", false, "under_review", false))
                .isFalse();
        assertThat(WebhookRules.disputeNewer("under_review", false, "needs_response", true))
                .as("closed ranks above any open state")
                .isTrue();
        assertThat(WebhookRules.disputeNewer("needs_response", false, "lost", true))
                .isTrue();
        assertThat(WebhookRules.disputeNewer("under_review", true, "under_review", true))
                .isFalse();
    }
}
