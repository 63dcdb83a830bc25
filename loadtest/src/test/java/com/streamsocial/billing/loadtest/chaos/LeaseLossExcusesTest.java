package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeaseLossExcusesTest {
    private static final String FAULT = "fault 4 (SIGKILL of a PostgreSQL backend)";

    @Test
    void aProcessAliveAtTheBackendKillThatStopsOnItsLeaseIsPartOfTheFault() {
        LeaseLossExcuses excuses = new LeaseLossExcuses();
        excuses.expect(101, FAULT);
        excuses.expect(102, FAULT);

        assertThat(excuses.excuse(101, LeaseLossExcuses.EXIT_LEASE_LOST)).isEqualTo(FAULT);
        assertThat(excuses.excuse(102, LeaseLossExcuses.EXIT_LEASE_LOST)).isEqualTo(FAULT);
    }

    @Test
    void anyOtherStatusOfAProcessAliveAtTheKillIsACrash() {
        LeaseLossExcuses excuses = new LeaseLossExcuses();
        for (int status : new int[] {0, 1, 6, 137, 143}) {
            excuses.expect(200 + status, FAULT);
            assertThat(excuses.excuse(200 + status, status))
                    .as("status %d", status)
                    .isNull();
        }
    }

    @Test
    void aProcessTheKillDidNotSeeAliveIsNotExcused() {
        LeaseLossExcuses excuses = new LeaseLossExcuses();
        excuses.expect(101, FAULT);

        // Started after the kill (the restarted one has another pid), or never there at all.
        assertThat(excuses.excuse(999, LeaseLossExcuses.EXIT_LEASE_LOST)).isNull();
        assertThat(new LeaseLossExcuses().excuse(101, LeaseLossExcuses.EXIT_LEASE_LOST))
                .isNull();
    }

    @Test
    void anExcuseIsUsedUpByTheProcessExitWhateverItsStatus() {
        LeaseLossExcuses excuses = new LeaseLossExcuses();
        excuses.expect(101, FAULT);
        assertThat(excuses.excuse(101, LeaseLossExcuses.EXIT_LEASE_LOST)).isEqualTo(FAULT);
        assertThat(excuses.excuse(101, LeaseLossExcuses.EXIT_LEASE_LOST))
                .as("a second exit")
                .isNull();

        excuses.expect(102, FAULT);
        assertThat(excuses.excuse(102, 1)).isNull();
        assertThat(excuses.excuse(102, LeaseLossExcuses.EXIT_LEASE_LOST))
                .as("after a crash, a later status 4 of the same pid")
                .isNull();
    }
}
