package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.loadtest.chaos.FaultSchedule.Target;
import java.util.List;
import java.util.Map;

/**
 * How often the services' leases went SUSPECT, HELD again and LOST (InstanceLease's log lines), over
 * every run of every gateway and processor: whether a stall was long enough to be seen.
 */
final class LeaseEvents {
    private LeaseEvents() {}

    /** The counts as the chaos report prints them, or why the logs could not be read. */
    static String count(Map<Target, List<ServiceProcess>> services) {
        long[] n = new long[3];
        String[] events = {"lease SUSPECT", "lease HELD again", "lease LOST"};
        for (Target t : List.of(Target.GATEWAY, Target.PROCESSOR)) {
            for (ServiceProcess s : services.getOrDefault(t, List.of())) {
                try (var lines = java.nio.file.Files.lines(s.log())) {
                    lines.forEach(l -> {
                        for (int i = 0; i < events.length; i++) {
                            n[i] += l.contains(events[i]) ? 1 : 0;
                        }
                    });
                } catch (java.io.IOException | java.io.UncheckedIOException e) {
                    return "could not read " + s.log() + ": " + e;
                }
            }
        }
        return String.format("SUSPECT %d, HELD again %d, LOST %d", n[0], n[1], n[2]);
    }
}
