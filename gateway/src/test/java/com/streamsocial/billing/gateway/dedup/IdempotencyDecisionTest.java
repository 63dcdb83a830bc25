package com.streamsocial.billing.gateway.dedup;

import static com.streamsocial.billing.gateway.dedup.IdempotencyDecision.Kind.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdempotencyDecisionTest {
    private static final long TIMEOUT_MS = 60_000;

    private static Reservation existing(String hash, String state, long ageMs, String ledger) {
        return new Reservation("pay_x", false, hash, state, ageMs, ledger, null);
    }

    @Test
    void aNewReservationPublishes() {
        assertThat(IdempotencyDecision.decide("h", Reservation.fresh("pay_x"), TIMEOUT_MS))
                .isEqualTo(PUBLISH);
    }

    @Test
    void sameRequestAlreadyAcceptedIsReplayed() {
        assertThat(IdempotencyDecision.decide("h", existing("h", "accepted", 5, null), TIMEOUT_MS))
                .isEqualTo(REPLAY);
    }

    @Test
    void aReservationTheProcessorAlreadyRecordedIsReplayed() {
        // The gateway died after its commit, before marking the row accepted; the ledger has it.
        assertThat(IdempotencyDecision.decide("h", existing("h", "reserved", 5, "succeeded"), TIMEOUT_MS))
                .isEqualTo(REPLAY);
    }

    @Test
    void sameRequestStillInFlightConflicts() {
        assertThat(IdempotencyDecision.decide("h", existing("h", "reserved", 5, null), TIMEOUT_MS))
                .isEqualTo(IN_FLIGHT);
        assertThat(IdempotencyDecision.decide("h", existing(null, null, 0, null), TIMEOUT_MS))
                .isEqualTo(IN_FLIGHT);
    }

    @Test
    void aDifferentRequestUnderTheSameKeyIsRefusedWhateverItsState() {
        assertThat(IdempotencyDecision.decide("h2", existing("h", "accepted", 5, null), TIMEOUT_MS))
                .isEqualTo(KEY_REUSED);
        assertThat(IdempotencyDecision.decide("h2", existing("h", "reserved", 5, null), TIMEOUT_MS))
                .isEqualTo(KEY_REUSED);
    }

    @Test
    void anAbandonedReservationIsTakenOverOnlyAfterTheTimeout() {
        assertThat(IdempotencyDecision.decide("h", existing("h", "reserved", TIMEOUT_MS - 1, null), TIMEOUT_MS))
                .isEqualTo(IN_FLIGHT);
        assertThat(IdempotencyDecision.decide("h", existing("h", "reserved", TIMEOUT_MS, null), TIMEOUT_MS))
                .isEqualTo(TAKE_OVER);
    }
}
