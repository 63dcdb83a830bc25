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
}
