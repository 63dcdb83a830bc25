package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.processor.dedup.InputRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checker's rules over a recorded history, Jepsen-Kafka style: what a read_committed consumer saw
 * while the faults happened, against what the topics hold once everything has settled. Each rule
 * returns its violations (empty when it holds). Pure: the adapters collect the history.
 */
public final class ChaosChecks {
    private ChaosChecks() {}

    /** A record's place in the log. */
    public record Position(String topic, int partition, long offset) {
        @Override
        public String toString() {
            return topic + "-" + partition + "@" + offset;
        }
    }

    /** A record as a reader returned it: where, and its key (the payment id). */
    public record Read(Position position, String key) {}

    /**
     * No aborted read: every record the concurrent read_committed consumer returned is, once all
     * transactions are decided, still returned by read_committed at the same position with the same
     * key. One that only read_uncommitted returns belongs to an aborted transaction: an aborted read.
     *
     * @param finalCommitted positions and keys returned by read_committed after the run
     * @param written positions and keys returned by read_uncommitted after the run (committed and aborted)
     */
    public static List<Violation> abortedReads(
            List<Read> concurrent, Map<Position, String> finalCommitted, Map<Position, String> written) {
        List<Violation> out = new ArrayList<>();
        for (Read r : concurrent) {
            String committedKey = finalCommitted.get(r.position());
            if (committedKey == null) {
                boolean aborted = written.containsKey(r.position());
                out.add(new Violation(
                        aborted ? "aborted-read" : "phantom-read",
                        String.valueOf(r.key()),
                        r.position() + (aborted ? " belongs to an aborted transaction" : " is not in the log")));
            } else if (!committedKey.equals(r.key())) {
                out.add(new Violation(
                        "changed-read", String.valueOf(r.key()), r.position() + " now holds " + committedKey));
            }
        }
        return out;
    }

    /** How many records only read_uncommitted returns: the aborted ones (informational). */
    public static long abortedRecords(Map<Position, String> finalCommitted, Map<Position, String> written) {
        return written.keySet().stream()
                .filter(p -> !finalCommitted.containsKey(p))
                .count();
    }

    /** No duplicate outcome: at most one committed outcome per payment id on payments.results. */
    public static List<Violation> duplicateOutcomes(List<Read> outcomes) {
        Map<String, List<Position>> byId = new HashMap<>();
        for (Read r : outcomes) {
            byId.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.position());
        }
        List<Violation> out = new ArrayList<>();
        new TreeSet<>(byId.keySet()).forEach(id -> {
            List<Position> at = byId.get(id);
            if (at.size() > 1) {
                out.add(new Violation("duplicate-outcome", id, at.size() + " outcomes at " + at));
            }
        });
        return out;
    }

    /**
     * Both or neither: the gateway writes a payment's billing event and its {@code payment.accepted}
     * metrics event in one transaction, so read_committed shows both or neither.
     */
    public static List<Violation> batchAtomicity(Set<String> billingIds, Set<String> acceptedMetricsIds) {
        List<Violation> out = new ArrayList<>();
        for (String id : new TreeSet<>(billingIds)) {
            if (!acceptedMetricsIds.contains(id)) {
                out.add(new Violation("both-or-neither", id, "billing event visible, its metrics event not"));
            }
        }
        for (String id : new TreeSet<>(acceptedMetricsIds)) {
            if (!billingIds.contains(id)) {
                out.add(new Violation("both-or-neither", id, "metrics event visible, its billing event not"));
            }
        }
        return out;
    }

    /** What the client learnt about a payment it sent. */
    public enum Answer {
        /** A 2xx (a first acceptance, or a replay of one to a retry): the gateway took responsibility. */
        ACCEPTED,
        /**
         * No definite answer (the connection broke or timed out, a 5xx, or a retrying client's deadline
         * passed first): it may or may not have been taken.
         */
        UNKNOWN,
        /** A definite refusal (4xx): nothing may come of it. */
        REJECTED
    }

    /**
     * Whether a record on payments.billing is the gateway's publication, which the once-rules count, or
     * a repair's re-driven copy (header {@code redrive}: the hanging-transaction watchdog's or {@code
     * reconcile --repair}'s), counted apart. A re-drive that doubled anything still shows in the
     * outcome and charge counts.
     */
    public static boolean isPublication(org.apache.kafka.common.header.Headers headers) {
        return headers.lastHeader(InputRecord.REDRIVE_HEADER) == null;
    }

    /** What the stores hold per payment id after the run: ledger rows, sandbox charges, outcomes, billing events. */
    public record Effects(
            Map<String, Integer> ledger,
            Map<String, Integer> charges,
            Map<String, Integer> outcomes,
            Map<String, Integer> billing) {}

    /** The verification pass's counts. */
    public record Tally(
            long accepted,
            long acceptedComplete,
            long unknown,
            long unknownPresent,
            long unknownAbsent,
            long rejected,
            List<Violation> violations) {}

    /**
     * Every accepted payment is recorded once, charged once and has exactly one outcome (and one
     * billing event); an unknown one has all of these once or none of them; nothing is present that
     * was not accepted or unknown.
     */
    public static Tally verify(Map<String, Answer> answers, Effects e) {
        List<Violation> out = new ArrayList<>();
        long accepted = 0, complete = 0, unknown = 0, present = 0, absent = 0, rejected = 0;
        for (String id : new TreeSet<>(answers.keySet())) {
            int[] n = {count(e.ledger(), id), count(e.charges(), id), count(e.outcomes(), id), count(e.billing(), id)};
            String seen = "ledger " + n[0] + ", charges " + n[1] + ", outcomes " + n[2] + ", billing events " + n[3];
            switch (answers.get(id)) {
                case ACCEPTED -> {
                    accepted++;
                    if (n[0] == 1 && n[1] == 1 && n[2] == 1 && n[3] == 1) {
                        complete++;
                    } else {
                        out.add(new Violation("accepted-once", id, "accepted (202) but " + seen));
                    }
                }
                case UNKNOWN -> {
                    unknown++;
                    if (n[0] == 1 && n[1] == 1 && n[2] == 1 && n[3] == 1) {
                        present++;
                    } else if (n[0] == 0 && n[1] == 0 && n[2] == 0 && n[3] == 0) {
                        absent++;
                    } else {
                        out.add(new Violation("unknown-all-or-nothing", id, "answer lost, and " + seen));
                    }
                }
                case REJECTED -> {
                    rejected++;
                    if (n[0] + n[1] + n[2] + n[3] > 0) {
                        out.add(new Violation("not-accepted", id, "refused (4xx) but " + seen));
                    }
                }
            }
        }
        Set<String> strangers = new TreeSet<>();
        for (Map<String, Integer> m : List.of(e.ledger(), e.charges(), e.outcomes(), e.billing())) {
            m.forEach((id, n) -> {
                if (n > 0 && !answers.containsKey(id)) {
                    strangers.add(id);
                }
            });
        }
        for (String id : strangers) {
            out.add(new Violation(
                    "not-accepted",
                    id,
                    "never sent by this run, yet ledger " + count(e.ledger(), id) + ", charges "
                            + count(e.charges(), id) + ", outcomes " + count(e.outcomes(), id) + ", billing events "
                            + count(e.billing(), id)));
        }
        return new Tally(accepted, complete, unknown, present, absent, rejected, out);
    }

    /**
     * What the comparison of guarantees counts: accepted payments with no outcome and no charge
     * (lost), and payments, accepted or not, with more than one outcome or more than one charge.
     */
    public record Shape(List<String> lost, List<String> duplicateOutcomes, List<String> duplicateCharges) {}

    public static Shape shape(Map<String, Answer> answers, Effects e) {
        List<String> lost = new ArrayList<>();
        for (String id : new TreeSet<>(answers.keySet())) {
            if (answers.get(id) == Answer.ACCEPTED && count(e.outcomes(), id) == 0 && count(e.charges(), id) == 0) {
                lost.add(id);
            }
        }
        return new Shape(lost, more(e.outcomes()), more(e.charges()));
    }

    private static List<String> more(Map<String, Integer> counts) {
        List<String> out = new ArrayList<>();
        counts.forEach((id, n) -> {
            if (n > 1) {
                out.add(id);
            }
        });
        out.sort(null);
        return out;
    }

    /** A span of the run, in seconds from the start of the load, while a fault was in effect: kill to recovery. */
    public record Window(double fromS, double toS) {
        public boolean contains(double s) {
            return s >= fromS && s <= toS;
        }
    }

    static boolean inAnyWindow(double s, List<Window> windows) {
        return windows.stream().anyMatch(w -> w.contains(s));
    }

    /** The concurrent reader must read at least this many records per accepted payment (it sees three each). */
    public static final double RECORDS_READ_PER_ACCEPTED_MIN = 0.5;
    /** The group-offset poller must succeed at least once per this many seconds of run. */
    public static final double RUN_SECONDS_PER_OFFSET_POLL_MAX = 4;

    /**
     * The concurrent checks must have checked: a reader that read next to nothing, a poller that
     * hardly polled, or any failure of either, and their rules could not have caught anything.
     *
     * @param recordsRead records the concurrent read_committed reader was handed
     * @param accepted payments answered 2xx
     * @param offsetPolls successful polls of the processors' committed offsets
     * @param runSeconds from the start of the load to the end of the concurrent checks
     * @param checkerFailures what made the reader or the poller fail, one entry each time
     */
    public static List<Violation> coverage(
            long recordsRead, long accepted, long offsetPolls, double runSeconds, List<String> checkerFailures) {
        List<Violation> out = new ArrayList<>();
        long readsMin = (long) Math.ceil(accepted * RECORDS_READ_PER_ACCEPTED_MIN);
        if (recordsRead < readsMin) {
            out.add(new Violation(
                    "coverage",
                    "reader",
                    recordsRead + " records read concurrently, fewer than " + readsMin + " (half of " + accepted
                            + " accepted)"));
        }
        long pollsMin = (long) Math.floor(runSeconds / RUN_SECONDS_PER_OFFSET_POLL_MAX);
        if (offsetPolls < pollsMin) {
            out.add(new Violation(
                    "coverage",
                    "group-poller",
                    offsetPolls + " committed-offset polls in " + String.format("%.1f", runSeconds) + " s, fewer than "
                            + pollsMin + " (one per " + (long) RUN_SECONDS_PER_OFFSET_POLL_MAX + " s)"));
        }
        checkerFailures.forEach(f -> out.add(new Violation("checker-failed", "concurrent-checks", f)));
        return out;
    }

    /** Why a service process ended. */
    public enum ExitCause {
        /** SIGKILLed by the fault schedule: the point of the run. */
        SCHEDULE,
        /** It exited by itself; the supervisor started it again. */
        BY_ITSELF,
        /** Its /health/live answered 503; the supervisor killed it and started it again. */
        LIVENESS_PROBE
    }

    /** One end of a service process during the run. */
    public record Exit(String service, double atS, ExitCause cause, String detail) {}

    /**
     * No crash loop hidden by the supervisor: every exit the schedule did not cause, and every restart
     * the supervisor had to make, is a violation.
     */
    public static List<Violation> unplannedExits(List<Exit> exits) {
        List<Violation> out = new ArrayList<>();
        for (Exit e : exits) {
            if (e.cause() != ExitCause.SCHEDULE) {
                out.add(new Violation(
                        "unplanned-exit",
                        e.service(),
                        String.format("+%.1fs %s: %s", e.atS(), e.cause().name().toLowerCase(), e.detail())));
            }
        }
        return out;
    }

    /** One payment the load offered: when it was due (seconds from the start), and whether it ended with a 2xx. */
    public record Offer(double intendedS, boolean answered2xx) {}

    /** At least this share of the load offered outside kill windows must be answered 2xx. */
    public static final double ACCEPTED_FRACTION_MIN = 0.95;

    /** The offered payments due outside every kill window, and how many of them ended with a 2xx. */
    public record Fraction(long offered, long accepted) {
        /** 1 when nothing was offered (nothing to refuse). */
        public double value() {
            return offered == 0 ? 1 : (double) accepted / offered;
        }

        /** A violation when the fraction is below {@link #ACCEPTED_FRACTION_MIN}, or nothing was offered. */
        public List<Violation> violations() {
            if (offered == 0) {
                return List.of(new Violation("accepted-fraction", "load", "no payment offered outside kill windows"));
            }
            if (value() < ACCEPTED_FRACTION_MIN) {
                return List.of(new Violation(
                        "accepted-fraction",
                        "load",
                        String.format(
                                "%d of %d offered outside kill windows answered 2xx (%.2f %%), below %.0f %%",
                                accepted, offered, 100 * value(), 100 * ACCEPTED_FRACTION_MIN)));
            }
            return List.of();
        }
    }

    /**
     * The availability the clients saw: of the payments due outside every kill window (unsent ones
     * included), the share that ended with a 2xx.
     */
    public static Fraction acceptedFraction(List<Offer> offers, List<Window> killWindows) {
        long offered = 0, accepted = 0;
        for (Offer o : offers) {
            if (!inAnyWindow(o.intendedS(), killWindows)) {
                offered++;
                if (o.answered2xx()) {
                    accepted++;
                }
            }
        }
        return new Fraction(offered, accepted);
    }

    /** The unanswered keys: those excused, and the violations. */
    public record Unanswered(long excused, List<Violation> violations) {}

    /**
     * A client that retried until its deadline and still has no definite answer was failed by the
     * service, unless its last try fell in a kill window and the gateway never reserved the key
     * (no row in payment_intents: nothing was started, so nothing can be half done).
     *
     * @param lastTryS of every key without a definite answer: its last try, in seconds from the start
     * @param intentStates payment_intents' state ({@code reserved}, {@code accepted}) by payment id
     */
    public static Unanswered unanswered(
            Map<String, Double> lastTryS, List<Window> killWindows, Map<String, String> intentStates) {
        List<Violation> out = new ArrayList<>();
        long excused = 0;
        for (String id : new TreeSet<>(lastTryS.keySet())) {
            double at = lastTryS.get(id);
            String state = intentStates.get(id);
            boolean inWindow = inAnyWindow(at, killWindows);
            if (inWindow && state == null) {
                excused++;
            } else {
                out.add(new Violation(
                        "unanswered",
                        id,
                        String.format(
                                "no definite answer; last try at +%.1fs %s; payment_intents: %s",
                                at,
                                inWindow ? "in a kill window" : "outside every kill window",
                                state == null ? "no row" : state)));
            }
        }
        return new Unanswered(excused, out);
    }

    /**
     * What the gateway recorded as accepted, it published: every {@code accepted} row of
     * payment_intents has exactly one billing event on payments.billing (read_committed).
     */
    public static List<Violation> acceptedIntents(Map<String, String> intentStates, Map<String, Integer> billing) {
        List<Violation> out = new ArrayList<>();
        for (String id : new TreeSet<>(intentStates.keySet())) {
            int n = count(billing, id);
            if ("accepted".equals(intentStates.get(id)) && n != 1) {
                out.add(new Violation(
                        "intent-published-once", id, "accepted in payment_intents, " + n + " billing events"));
            }
        }
        return out;
    }

    /** Requests still in flight or waiting to retry when the client stopped waiting: each is a violation. */
    public static List<Violation> outstanding(List<String> ids) {
        List<Violation> out = new ArrayList<>();
        ids.forEach(
                id -> out.add(new Violation("outstanding", id, "still without a definite answer when the wait ended")));
        return out;
    }

    /**
     * Every charge counted: a sandbox charge made during the run that carries no payment id (no
     * marker) belongs to no payment this run can check, so it is a violation, not a blind spot.
     *
     * @param chargeIds the sandbox's ids of the run's charges without a payment id
     */
    public static List<Violation> unmarkedCharges(List<String> chargeIds) {
        List<Violation> out = new ArrayList<>();
        new TreeSet<>(chargeIds)
                .forEach(id -> out.add(new Violation("unmarked-charge", id, "a charge with no payment id")));
        return out;
    }

    private static int count(Map<String, Integer> m, String id) {
        return Objects.requireNonNullElse(m.get(id), 0);
    }
}
