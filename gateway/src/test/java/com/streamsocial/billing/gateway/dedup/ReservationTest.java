package com.streamsocial.billing.gateway.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReservationTest {
    @Test
    void readAsAcceptedKeepsEverythingButTheStateTheOwnersIncluded() {
        Reservation r = new Reservation("pay_1", false, "h", "reserved", 12, null, null, "tenant-a", "tenant-a");
        Reservation a = r.readAsAccepted();
        assertThat(a.existingState()).isEqualTo("accepted");
        // ExactlyOnceIT found retries of committed payments refused 422 when the owners were dropped.
        assertThat(a)
                .isEqualTo(new Reservation("pay_1", false, "h", "accepted", 12, null, null, "tenant-a", "tenant-a"));
        assertThat(IdempotencyDecision.decide("h", a, 60_000)).isEqualTo(IdempotencyDecision.Kind.REPLAY);
    }
}
