package com.streamsocial.billing.loadtest.chaos;

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
        /** 202, not a replay: the gateway took responsibility. */
        ACCEPTED,
        /** No definite answer (the connection broke, timed out, or a 5xx): it may or may not have been taken. */
        UNKNOWN,
        /** A definite refusal (4xx): nothing may come of it. */
        REJECTED
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

    private static int count(Map<String, Integer> m, String id) {
        return Objects.requireNonNullElse(m.get(id), 0);
    }
}
