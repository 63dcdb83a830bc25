package com.streamsocial.billing.lease;

import java.util.Set;

/**
 * What a process knows about its instance lease, as a pure state machine (time is a parameter, no
 * I/O): {@link State#HELD} while the lease check confirms the lock, {@link State#SUSPECT} while it
 * cannot tell (a check timed out: the database is stalled or slow, and the session, so the lock, is
 * still alive on the server), {@link State#LOST} once the lock is known gone or may be gone, and
 * {@link State#RELEASED} after a deliberate stop. Only LOST means the process must stop; SUSPECT
 * means it stops taking new work and keeps checking. Not thread-safe: one owner drives it.
 */
public final class LeaseCheck {
    /**
     * The longest the lock may go unconfirmed before the lease counts as LOST, measured from when
     * the last confirming check was sent. Below the server's {@link InstanceLease#SERVER_LAPSE_MAX_S}
     * (25 s): a server that lost our host ends the session, and lets another process take the lock,
     * no earlier than that after it last heard from us, so this process has stopped by then.
     */
    public static final long UNCONFIRMED_MAX_MS = 20_000;

    /** HELD and SUSPECT come and go; LOST and RELEASED are final but for LOST then RELEASED. */
    public enum State {
        HELD,
        SUSPECT,
        LOST,
        RELEASED
    }

    private State state = State.HELD;
    /** When the check that last confirmed the lock was sent (the server answered after that). */
    private long confirmedSentAtMs;

    private String reason;

    /** A lease just taken: the lock was confirmed by a check sent at {@code acquiredAtMs}. */
    public LeaseCheck(long acquiredAtMs) {
        this.confirmedSentAtMs = acquiredAtMs;
    }

    public State state() {
        return state;
    }

    /** Why the lease is SUSPECT or LOST, or null while HELD. */
    public String reason() {
        return reason;
    }

    /** When the last confirming check was sent. */
    public long confirmedSentAtMs() {
        return confirmedSentAtMs;
    }

    /**
     * A check sent at {@code sentAtMs} answered: {@code lockHeld} whether the session still holds the
     * lock. A held lock makes a SUSPECT lease HELD again; a missing one makes it LOST.
     */
    public State answered(long sentAtMs, boolean lockHeld, long nowMs) {
        if (finished()) {
            return state;
        }
        if (!lockHeld) {
            return lose("the session no longer holds the lock");
        }
        confirmedSentAtMs = Math.max(confirmedSentAtMs, sentAtMs);
        // A late answer can confirm a lock older than the bound: the bound still decides.
        if (tick(nowMs) == State.LOST) {
            return state;
        }
        if (state == State.SUSPECT) {
            reason = null;
            transitionTo(State.HELD);
        }
        return state;
    }

    /** A check failed without an answer: a timeout or an error on a connection still open. */
    public State unanswered(String why, long nowMs) {
        if (finished()) {
            return state;
        }
        if (tick(nowMs) == State.LOST) {
            return state;
        }
        reason = "lease check unanswered (" + why + ")";
        if (state == State.HELD) {
            transitionTo(State.SUSPECT);
        }
        return state;
    }

    /** The lease connection closed: its session, and so the lock, is gone. */
    public State closed(String why) {
        return finished() ? state : lose("the lease connection closed" + (why == null ? "" : ": " + why));
    }

    /** The clock moved: a lock unconfirmed for longer than {@link #UNCONFIRMED_MAX_MS} is LOST. */
    public State tick(long nowMs) {
        if (finished()) {
            return state;
        }
        long unconfirmedMs = nowMs - confirmedSentAtMs;
        if (unconfirmedMs > UNCONFIRMED_MAX_MS) {
            return lose("the lock unconfirmed for " + unconfirmedMs + " ms (more than " + UNCONFIRMED_MAX_MS
                    + " ms; the server may end the session at " + InstanceLease.SERVER_LAPSE_MAX_S + " s)");
        }
        return state;
    }

    /** A deliberate stop; from any state but RELEASED. */
    public State release() {
        transitionTo(State.RELEASED);
        return state;
    }

    private State lose(String why) {
        reason = why;
        transitionTo(State.LOST);
        return state;
    }

    private boolean finished() {
        return state == State.LOST || state == State.RELEASED;
    }

    /** The one place the state changes; a move not in {@link #allowed} is a bug and throws. */
    void transitionTo(State next) {
        if (!allowed(state).contains(next)) {
            throw new IllegalStateException("lease: " + state + " -> " + next);
        }
        state = next;
    }

    static Set<State> allowed(State from) {
        return switch (from) {
            case HELD -> Set.of(State.SUSPECT, State.LOST, State.RELEASED);
            case SUSPECT -> Set.of(State.HELD, State.LOST, State.RELEASED);
            case LOST -> Set.of(State.RELEASED);
            case RELEASED -> Set.of();
        };
    }
}
