package com.streamsocial.billing.refund;

import java.util.Optional;

/**
 * The life of one refund, with the one place that moves it ({@link #transitionTo}), so that no code
 * path can take a final refund back or skip the processor's recovery point.
 */
public enum RefundState {
    /** The gateway's intent is committed; the processor has not claimed it. */
    PENDING("pending", false),
    /** Claimed by the processor, committed before the provider is called: the recovery point. */
    REFUNDING("refunding", false),
    SUCCEEDED("succeeded", true),
    FAILED("failed", true);

    private final String wire;
    private final boolean isFinal;

    RefundState(String wire, boolean isFinal) {
        this.wire = wire;
        this.isFinal = isFinal;
    }

    public String wire() {
        return wire;
    }

    public boolean isFinal() {
        return isFinal;
    }

    /** What a client sees: {@code refunding} is internal and shows as {@code pending}. */
    public String publicWire() {
        return isFinal ? wire : PENDING.wire;
    }

    /** Whether the refund's amount still counts against what remains of its payment. */
    public boolean holdsAmount() {
        return this != FAILED;
    }

    public boolean canMoveTo(RefundState next) {
        return switch (this) {
            case PENDING -> next == REFUNDING || next == FAILED;
            case REFUNDING -> next == SUCCEEDED || next == FAILED;
            case SUCCEEDED, FAILED -> false;
        };
    }

    /** The next state, or {@link IllegalStateException} naming the refused move. */
    public RefundState transitionTo(RefundState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("a refund cannot move from " + wire + " to " + next.wire);
        }
        return next;
    }

    /** Total: the state of a wire name, or empty. */
    public static Optional<RefundState> fromWire(String s) {
        for (RefundState v : values()) {
            if (v.wire.equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
