package com.streamsocial.billing.processor.webhook;

import com.streamsocial.billing.processor.webhook.ProviderEvent.Refund;
import com.streamsocial.billing.processor.webhook.ProviderEvent.RefundStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rules that decide what a webhook event changes, given what the ledger holds. Pure: the store
 * reads the rows under their locks, these decide, the store writes. The rules:
 *
 * <ul>
 *   <li>a final state is never changed by a webhook: a payment already succeeded or failed, a refund
 *       already decided, a dispute closed, stay as they are (the event is {@code stale});
 *   <li>a later event about the same object changes it only if its state is newer (a dispute's status
 *       moves forward only: open, under review, closed);
 *   <li>what is refunded never exceeds what was captured: a refund the provider made that we did not
 *       ask for is recorded only within the remainder; beyond it, nothing is recorded and the event is
 *       {@code bound_exceeded}, a break for reconciliation, never a negative balance.
 * </ul>
 */
public final class WebhookRules {
    private WebhookRules() {}

    /** What became of an event; the values of {@code processor.webhooks.applied{outcome}}. */
    public enum Outcome {
        APPLIED,
        /** Read before (another record of the same event id): nothing done. */
        DUPLICATE,
        /** Its object is already final, or its state is not newer: nothing done. */
        STALE,
        /** About a payment the ledger does not hold: recorded, nothing applied. */
        UNKNOWN_OBJECT,
        /** Its body is not a decodable event: recorded, nothing applied. */
        MALFORMED,
        /** A refund that would take what is refunded beyond what was captured: recorded, not applied. */
        BOUND_EXCEEDED,
        /** A type the processor does not apply. */
        IGNORED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether a payment in {@code status} (the ledger's wire value) may be decided by an event. */
    public static boolean decidable(String status) {
        return "claimed".equals(status) || "charging".equals(status);
    }

    /** A refund the ledger holds for the payment: ours ({@code origin} api) or one recorded from an event. */
    public record HeldRefund(String refundId, String providerRef, long amountMinor, String state) {
        boolean holdsAmount() {
            return !"failed".equals(state);
        }

        boolean isFinal() {
            return "succeeded".equals(state) || "failed".equals(state);
        }
    }

    /** What to do about one refund of an event. */
    public sealed interface RefundStep {
        Refund refund();
    }

    /** A refund of ours left pending at the provider, now decided. */
    public record DecideOurs(Refund refund, String refundId, boolean succeeded) implements RefundStep {}

    /** A refund we did not make (the provider's dashboard): a new refund and its ledger entry. */
    public record RecordForeign(Refund refund) implements RefundStep {}

    /** Over what remains of the capture: nothing recorded. */
    public record OverCapture(Refund refund, long remainderMinor) implements RefundStep {}

    /** Already known and final, pending, or failed at the provider: nothing to do. */
    public record NoChange(Refund refund) implements RefundStep {}

    /**
     * The steps for an event's refunds of a payment that captured {@code capturedMinor} ({@code 0} if
     * it did not succeed), with {@code held} its refunds as the ledger holds them. Refunds earlier in
     * the list count against the remainder of those after them.
     */
    public static List<RefundStep> refunds(long capturedMinor, List<HeldRefund> held, List<Refund> seen) {
        long holding = 0;
        for (HeldRefund h : held) {
            holding += h.holdsAmount() ? h.amountMinor() : 0;
        }
        List<RefundStep> steps = new ArrayList<>(seen.size());
        List<String> recorded = new ArrayList<>();
        for (Refund r : seen) {
            HeldRefund known = find(held, r.providerRefundId());
            if (known != null) {
                boolean decides = !known.isFinal() && r.status() != RefundStatus.PENDING;
                steps.add(
                        decides
                                ? new DecideOurs(r, known.refundId(), r.status() == RefundStatus.SUCCEEDED)
                                : new NoChange(r));
            } else if (r.status() != RefundStatus.SUCCEEDED || recorded.contains(r.providerRefundId())) {
                steps.add(new NoChange(r));
            } else if (holding + r.amountMinor() > capturedMinor) {
                steps.add(new OverCapture(r, Math.max(0, capturedMinor - holding)));
            } else {
                holding += r.amountMinor();
                recorded.add(r.providerRefundId());
                steps.add(new RecordForeign(r));
            }
        }
        return steps;
    }

    private static HeldRefund find(List<HeldRefund> held, String providerRefundId) {
        for (HeldRefund h : held) {
            if (providerRefundId.equals(h.providerRef()) || providerRefundId.equals(h.refundId())) {
                return h;
            }
        }
        return null;
    }

    /** The outcome of an event whose refunds took {@code steps}. */
    public static Outcome refundOutcome(List<RefundStep> steps) {
        boolean applied = false;
        for (RefundStep s : steps) {
            if (s instanceof OverCapture) {
                return Outcome.BOUND_EXCEEDED;
            }
            applied |= s instanceof DecideOurs || s instanceof RecordForeign;
        }
        return applied ? Outcome.APPLIED : Outcome.STALE;
    }

    /**
     * Whether a dispute event's state is newer than the stored one ({@code storedStatus} null: none
     * stored). Closed is final; otherwise the status must move forward (open, then under review).
     */
    public static boolean disputeNewer(String storedStatus, boolean storedClosed, String status, boolean closed) {
        if (storedStatus == null) {
            return true;
        }
        if (storedClosed) {
            return false;
        }
        return rank(status, closed) > rank(storedStatus, false);
    }

    private static int rank(String status, boolean closed) {
        if (closed) {
            return 3;
        }
        return status.contains("review") ? 2 : 1;
    }
}
