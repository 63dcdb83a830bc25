package com.streamsocial.billing.loadtest.chaos;

import java.util.HashMap;
import java.util.Map;

/**
 * Which exits a PostgreSQL backend kill excuses. Killing a backend makes PostgreSQL end every session
 * and restart, so every gateway and processor alive at that kill loses its lease session and stops on
 * its lease with {@link #EXIT_LEASE_LOST}, as designed: that exit is part of the fault. Anything else
 * stays a crash: another exit status, a process started after the kill, or a second exit. This is the
 * one path by which the checker lets a process end without counting it, so it is kept apart and
 * narrow. Pure: no clock, no I/O; one instance per run, used from the run's thread only.
 */
final class LeaseLossExcuses {
    /** The gateway's and the processor's exit status when their instance lease is lost. */
    static final int EXIT_LEASE_LOST = 4;

    /** Process id alive at a backend kill, to the fault that ended its lease session. */
    private final Map<Long, String> expected = new HashMap<>();

    /** Process {@code pid} was alive when {@code fault} killed a backend: it may stop on its lease. */
    void expect(long pid, String fault) {
        expected.put(pid, fault);
    }

    /**
     * The fault that excuses process {@code pid} ending with {@code exitCode}, or null when that exit
     * is a crash. An excuse is used up by the process's exit, whatever its status: each process ends
     * once, and a restarted one has another pid that no backend kill has seen alive.
     */
    String excuse(long pid, int exitCode) {
        String fault = expected.remove(pid);
        return exitCode == EXIT_LEASE_LOST ? fault : null;
    }
}
