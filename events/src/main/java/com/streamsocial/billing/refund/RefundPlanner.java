package com.streamsocial.billing.refund;

import com.streamsocial.billing.refund.RefundDecision.PaymentState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The processor's refund step for one polled batch, pure: sorts each {@code refund.requested} record,
 * in poll order, against what the ledger holds (the payment and its stored refunds) and what the
 * batch planned before it. It is the authoritative check of "refunded never exceeds captured": the
 * gateway's check misses refunds it published and then lost (a crash between its two commits).
 */
public final class RefundPlanner {
    /** At most this many records are planned at once: a polled batch is smaller. */
    public static final int BATCH_RECORDS_MAX = 10_000;

    private RefundPlanner() {}

    /** One {@code refund.requested} record: its concrete amount (the gateway resolved "the rest"). */
    public record Request(
            String refundId, String paymentId, String requestHash, long amountMinor, int partition, long offset) {}

    /** A refund the ledger holds: claimed by the record at {@code partition}/{@code offset}. */
    public record Stored(
            String refundId,
            String paymentId,
            String requestHash,
            long amountMinor,
            RefundState state,
            int partition,
            long offset) {
        public Stored {
            if (state == RefundState.PENDING) {
                throw new IllegalArgumentException("the processor stores refunding, succeeded or failed refunds");
            }
        }
    }

    /** What the ledger holds of a payment: its state, what was captured and its stored refunds. */
    public record Account(String paymentId, PaymentState state, long capturedMinor, List<Stored> refunds) {
        public Account {
            refunds = List.copyOf(refunds);
        }
    }

    /** What to do with one record. */
    public sealed interface Step {
        String refundId();
    }

    /** New and within the remainder: claim it {@code refunding}, then call the provider. */
    public record Refund(Request request) implements Step {
        public String refundId() {
            return request.refundId();
        }
    }

    /** New and refused by the decision: record it {@code failed} and emit that outcome; no provider call. */
    public record Refuse(Request request, RefundDecision.Refusal why, long remainderMinor) implements Step {
        public String refundId() {
            return request.refundId();
        }
    }

    /** Stored {@code refunding}: call the provider again under the same key; emit once decided. */
    public record Resume(Stored stored) implements Step {
        public String refundId() {
            return stored.refundId();
        }
    }

    /** The claiming record read again after a crash: emit the stored final outcome again. */
    public record Reemit(Stored stored) implements Step {
        public String refundId() {
            return stored.refundId();
        }
    }

    /** Another record of a refund already decided or planned in this batch: nothing to do, no outcome. */
    public record Duplicate(Request request) implements Step {
        public String refundId() {
            return request.refundId();
        }
    }

    /** The refund id is known with another request or payment: a dead letter, never refunded. */
    public record Conflict(Request request) implements Step {
        public String refundId() {
            return request.refundId();
        }
    }

    /** {@link #plan(List, Map, List)} when no refund of the batch is stored under another payment. */
    public static List<Step> plan(List<Request> batch, Map<String, Account> accounts) {
        return plan(batch, accounts, List.of());
    }

    /**
     * Plans every record of the batch in order. {@code accounts} holds each payment named by the batch
     * that the ledger knows, with all its stored refunds; {@code knownById} every stored refund whose id
     * the batch names, whichever its payment: a refund id is known whatever payment a record names.
     */
    public static List<Step> plan(List<Request> batch, Map<String, Account> accounts, List<Stored> knownById) {
        if (batch.size() > BATCH_RECORDS_MAX) {
            throw new IllegalArgumentException("at most " + BATCH_RECORDS_MAX + " records, got " + batch.size());
        }
        Map<String, Stored> stored = new HashMap<>();
        knownById.forEach(s -> stored.put(s.refundId(), s));
        Map<String, Long> held = new HashMap<>();
        for (Account a : accounts.values()) {
            long sum = 0;
            for (Stored s : a.refunds()) {
                stored.put(s.refundId(), s);
                sum += s.state().holdsAmount() ? s.amountMinor() : 0;
            }
            held.put(a.paymentId(), sum);
        }
        Map<String, Request> planned = new HashMap<>();
        List<Step> steps = new ArrayList<>(batch.size());
        for (Request r : batch) {
            steps.add(step(r, stored.get(r.refundId()), accounts.get(r.paymentId()), held, planned));
        }
        return steps;
    }

    private static Step step(
            Request r, Stored known, Account account, Map<String, Long> held, Map<String, Request> planned) {
        if (r.amountMinor() < 1 || r.amountMinor() > RefundDecision.AMOUNT_MAX_MINOR) {
            return new Conflict(r);
        }
        if (known != null) {
            if (!known.paymentId().equals(r.paymentId()) || !known.requestHash().equals(r.requestHash())) {
                return new Conflict(r);
            }
            if (planned.putIfAbsent(r.refundId(), r) != null) {
                return new Duplicate(r);
            }
            if (!known.state().isFinal()) {
                return new Resume(known);
            }
            boolean claimingRecord = known.partition() == r.partition() && known.offset() == r.offset();
            return claimingRecord ? new Reemit(known) : new Duplicate(r);
        }
        Request earlier = planned.putIfAbsent(r.refundId(), r);
        if (earlier != null) {
            boolean same = earlier.paymentId().equals(r.paymentId())
                    && earlier.requestHash().equals(r.requestHash());
            return same ? new Duplicate(r) : new Conflict(r);
        }
        if (account == null) {
            return new Refuse(r, RefundDecision.Refusal.PAYMENT_NOT_REFUNDABLE, 0);
        }
        long before = held.getOrDefault(r.paymentId(), 0L);
        RefundDecision.Outcome o = RefundDecision.decide(
                new RefundDecision.Payment(account.state(), account.capturedMinor(), before),
                OptionalLong.of(r.amountMinor()));
        if (o instanceof RefundDecision.Refuse refuse) {
            return new Refuse(r, refuse.why(), refuse.remainderMinor());
        }
        held.put(r.paymentId(), before + r.amountMinor());
        return new Refund(r);
    }
}
