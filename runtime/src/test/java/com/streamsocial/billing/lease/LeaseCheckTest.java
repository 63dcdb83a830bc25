package com.streamsocial.billing.lease;

import static com.streamsocial.billing.lease.LeaseCheck.State.HELD;
import static com.streamsocial.billing.lease.LeaseCheck.State.LOST;
import static com.streamsocial.billing.lease.LeaseCheck.State.RELEASED;
import static com.streamsocial.billing.lease.LeaseCheck.State.SUSPECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LeaseCheckTest {
    private static final long BOUND_MS = LeaseCheck.UNCONFIRMED_MAX_MS;

    @Test
    void aCheckThatTimesOutMakesTheLeaseSuspectNotLost() {
        LeaseCheck c = new LeaseCheck(0);
        assertThat(c.unanswered("no answer within 5000 ms", 7_000)).isEqualTo(SUSPECT);
        assertThat(c.reason()).contains("no answer within 5000 ms");
        assertThat(c.unanswered("still nothing", 15_000)).isEqualTo(SUSPECT);
    }

    @Test
    void anAnswerWithTheLockHeldEndsTheSuspicion() {
        LeaseCheck c = new LeaseCheck(0);
        c.unanswered("timeout", 7_000);
        // The check sent at 2 s, answered at 16 s when the database woke up.
        assertThat(c.answered(2_000, true, 16_000)).isEqualTo(HELD);
        assertThat(c.reason()).isNull();
        assertThat(c.confirmedSentAtMs()).isEqualTo(2_000);
        // The bound now runs from 2 s: 21 s is within it, 22.001 s is not.
        assertThat(c.tick(2_000 + BOUND_MS)).isEqualTo(HELD);
        assertThat(c.tick(2_000 + BOUND_MS + 1)).isEqualTo(LOST);
    }

    @Test
    void aLockNoLongerHeldIsLostFromEitherState() {
        LeaseCheck held = new LeaseCheck(0);
        assertThat(held.answered(2_000, false, 2_010)).isEqualTo(LOST);
        assertThat(held.reason()).contains("no longer holds the lock");

        LeaseCheck suspect = new LeaseCheck(0);
        suspect.unanswered("timeout", 7_000);
        assertThat(suspect.answered(2_000, false, 9_000)).isEqualTo(LOST);
    }

    @Test
    void aClosedConnectionIsLostAtOnce() {
        LeaseCheck held = new LeaseCheck(0);
        assertThat(held.closed(null)).isEqualTo(LOST);
        assertThat(held.reason()).contains("connection closed");

        LeaseCheck suspect = new LeaseCheck(0);
        suspect.unanswered("timeout", 7_000);
        assertThat(suspect.closed("reset by peer")).isEqualTo(LOST);
        assertThat(suspect.reason()).contains("reset by peer");
    }

    @Test
    void aLockUnconfirmedPastTheBoundIsLostEvenWithoutAnyEvent() {
        LeaseCheck c = new LeaseCheck(1_000);
        c.unanswered("timeout", 8_000);
        assertThat(c.tick(1_000 + BOUND_MS)).isEqualTo(SUSPECT);
        assertThat(c.tick(1_000 + BOUND_MS + 1)).isEqualTo(LOST);
        assertThat(c.reason()).contains("unconfirmed for " + (BOUND_MS + 1) + " ms");
    }

    @Test
    void aLateAnswerConfirmsOnlyFromWhenItsCheckWasSent() {
        LeaseCheck c = new LeaseCheck(0);
        c.unanswered("timeout", 7_000);
        // Sent at 1 s, answered at 23 s: the server may have answered at 1.1 s; the lock counts as
        // confirmed only then, so it has been unconfirmed for 22 s: past the bound.
        assertThat(c.answered(1_000, true, 1_000 + BOUND_MS + 2_000)).isEqualTo(LOST);
    }

    @Test
    void theBoundLeavesTheServersKeepalivesTimeToSpare() {
        // LOST (and the stop) must come before the server can end the session and free the lock.
        assertThat(LeaseCheck.UNCONFIRMED_MAX_MS + InstanceLease.HEARTBEAT_INTERVAL_MS)
                .isLessThan(InstanceLease.serverLapseMaxS(InstanceLease.SESSION_SETTINGS) * 1_000L);
        // And a stall of 15 s, with a check sent just before it, stays SUSPECT.
        LeaseCheck c = new LeaseCheck(0);
        c.unanswered("timeout", 5_000 + InstanceLease.HEARTBEAT_INTERVAL_MS);
        assertThat(c.answered(InstanceLease.HEARTBEAT_INTERVAL_MS, true, 17_500))
                .isEqualTo(HELD);
    }

    @Test
    void finalStatesIgnoreLaterEventsAndReleaseIsTheOnlyWayOut() {
        LeaseCheck lost = new LeaseCheck(0);
        lost.closed(null);
        assertThat(lost.answered(1_000, true, 1_100)).isEqualTo(LOST);
        assertThat(lost.unanswered("timeout", 2_000)).isEqualTo(LOST);
        assertThat(lost.release()).isEqualTo(RELEASED);

        LeaseCheck released = new LeaseCheck(0);
        assertThat(released.release()).isEqualTo(RELEASED);
        assertThat(released.closed(null)).isEqualTo(RELEASED);
        assertThat(released.tick(BOUND_MS * 2)).isEqualTo(RELEASED);
        assertThatThrownBy(released::release).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void transitionToRejectsEveryMoveNotInTheTable() {
        assertThat(LeaseCheck.allowed(HELD)).containsExactlyInAnyOrder(SUSPECT, LOST, RELEASED);
        assertThat(LeaseCheck.allowed(SUSPECT)).containsExactlyInAnyOrder(HELD, LOST, RELEASED);
        assertThat(LeaseCheck.allowed(LOST)).containsExactly(RELEASED);
        assertThat(LeaseCheck.allowed(RELEASED)).isEmpty();
        for (LeaseCheck.State from : LeaseCheck.State.values()) {
            for (LeaseCheck.State to : LeaseCheck.State.values()) {
                LeaseCheck c = at(from);
                if (LeaseCheck.allowed(from).contains(to)) {
                    c.transitionTo(to);
                    assertThat(c.state()).as(from + " -> " + to).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> c.transitionTo(to))
                            .as(from + " -> " + to)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessage("lease: " + from + " -> " + to);
                    assertThat(c.state()).isEqualTo(from);
                }
            }
        }
    }

    /** A check driven into {@code state} through its public events. */
    private static LeaseCheck at(LeaseCheck.State state) {
        LeaseCheck c = new LeaseCheck(0);
        switch (state) {
            case HELD -> {}
            case SUSPECT -> c.unanswered("timeout", 7_000);
            case LOST -> c.closed(null);
            case RELEASED -> c.release();
        }
        assertThat(c.state()).isEqualTo(state);
        return c;
    }
}
