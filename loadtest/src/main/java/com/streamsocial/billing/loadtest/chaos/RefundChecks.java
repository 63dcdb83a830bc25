package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Window;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Expect;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Reply;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Sent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checker's refund rules (issue 21 §1): what the refund load was told against the ledger, the outcomes
 * and the sandbox's own refunds once at rest; each returns violations, a required count at 0 is one. Pure.
 */
public final class RefundChecks {
    private RefundChecks() {}

    /** A 422's slugs that mean "over the remainder": the answers a refused refund of the mix may get. */
    static final Set<String> OVER_REMAINDER = Set.of("refund-exceeds-remainder", "payment-fully-refunded");

    /** The processor's row of a refund: its payment, amount and status (refunding, succeeded, failed). */
    public record Stored(String paymentId, long amountMinor, String status) {}

    /** One refund at the sandbox: its own id, the refund id it carries (metadata; null if none), payment, amount. */
    public record ProviderRefund(String id, String refundId, String paymentId, long amountMinor) {}

    /** A sandbox charge: what it captured and what the sandbox counts refunded of it. */
    public record Charge(long amountMinor, long refundedMinor) {}

    /**
     * What the stores hold after the run.
     *
     * @param refunds the processor's rows by refund id
     * @param intents the gateway's refund_intents ids
     * @param ledger the {@code refund} ledger entries' amounts (positive) by refund id
     * @param ledgerRefunded the sum of each payment's {@code refund} ledger entries (positive)
     * @param captured each succeeded payment's amount in the ledger
     * @param provider the sandbox's refunds made during the run
     * @param charges the sandbox's charges of the run by payment id
     * @param outcomes refund.outcome records on payments.refund-results (read_committed) by refund id
     */
    public record Stores(
            Map<String, Stored> refunds,
            Set<String> intents,
            Map<String, List<Long>> ledger,
            Map<String, Long> ledgerRefunded,
            Map<String, Long> captured,
            List<ProviderRefund> provider,
            Map<String, Charge> charges,
            Map<String, Integer> outcomes) {}

    /** What the checks counted; {@link #coverage} requires the ones that prove something to be above zero. */
    public record Counts(
            long requests,
            long copies,
            long accepted,
            long acceptedInKillWindows,
            long refusedOverRemainder,
            long raceRefusals,
            long duplicateGroups,
            long unknown,
            long succeeded,
            long failed,
            long providerMatched) {}

    public record Result(Counts counts, List<Violation> violations) {}

    /** Every rule over the run's refunds. */
    public static Result verify(List<Sent> sent, Stores s, List<Window> killWindows) {
        List<Violation> out = new ArrayList<>();
        Map<String, List<Long>> providerById = new HashMap<>();
        s.provider().forEach(p -> {
            if (p.refundId() != null) {
                providerById
                        .computeIfAbsent(p.refundId(), k -> new ArrayList<>())
                        .add(p.amountMinor());
            }
        });
        long[] n = new long[5]; // accepted, of them with a try in a kill window, unknown, succeeded, failed
        long matched = 0;
        long copies = 0;
        long duplicateGroups = 0;
        for (Sent r : sent) {
            copies += r.replies().size();
            Answer a = answer(r, out);
            if (a == Answer.ACCEPTED) {
                n[0]++;
                n[1] += r.replies().stream().anyMatch(rep -> inKillWindow(rep, killWindows)) ? 1 : 0;
                long accepted = r.replies().stream()
                        .filter(rep -> rep.answer() == Answer.ACCEPTED)
                        .count();
                duplicateGroups += accepted >= 2 ? 1 : 0;
                String status = acceptedOnce(r, s, providerById, out);
                n[3] += "succeeded".equals(status) ? 1 : 0;
                n[4] += "failed".equals(status) ? 1 : 0;
                matched += "succeeded".equals(status) && one(providerById.get(r.refundId()), r, s) ? 1 : 0;
            } else if (a == Answer.REJECTED) {
                leftNothing(r, s, providerById, "refused-refund-left-something", out);
            } else {
                n[2]++;
                if (s.refunds().containsKey(r.refundId())) {
                    acceptedOnce(r, s, providerById, out);
                } else {
                    leftNothing(r, s, providerById, "unknown-refund-all-or-nothing", out);
                }
            }
        }
        long[] refused = expectations(sent, s, out);
        out.addAll(strangers(sent, s));
        out.addAll(sums(s));
        Counts c = new Counts(
                sent.size(), copies, n[0], n[1], refused[0], refused[1], duplicateGroups, n[2], n[3], n[4], matched);
        out.addAll(coverage(c, !killWindows.isEmpty()));
        return new Result(c, out);
    }

    /** The request's answer over its copies: accepted if any was, refused if all were; copies that disagree are a violation. */
    static Answer answer(Sent r, List<Violation> out) {
        boolean accepted = r.replies().stream().anyMatch(rep -> rep.answer() == Answer.ACCEPTED);
        boolean refused = r.replies().stream().anyMatch(rep -> rep.answer() == Answer.REJECTED);
        if (accepted && refused) {
            out.add(new Violation(
                    "refund-copies-disagree", r.refundId(), "copies of one key answered 2xx and 4xx: " + r.replies()));
        }
        if (accepted) {
            return Answer.ACCEPTED;
        }
        boolean allRefused =
                !r.replies().isEmpty() && r.replies().stream().allMatch(rep -> rep.answer() == Answer.REJECTED);
        return allRefused ? Answer.REJECTED : Answer.UNKNOWN;
    }

    private static boolean inKillWindow(Reply rep, List<Window> windows) {
        return windows.stream().anyMatch(w -> w.fromS() <= rep.lastS() && w.toS() >= rep.firstS());
    }

    /**
     * An accepted refund is decided once: one processor row, final; one outcome; if it succeeded one
     * ledger entry and one provider refund, both of its amount; if it failed, neither. Its status.
     */
    private static String acceptedOnce(Sent r, Stores s, Map<String, List<Long>> providerById, List<Violation> out) {
        String id = r.refundId();
        Stored row = s.refunds().get(id);
        int outcomes = Objects.requireNonNullElse(s.outcomes().get(id), 0);
        List<Long> ledger = s.ledger().getOrDefault(id, List.of());
        List<Long> provider = providerById.getOrDefault(id, List.of());
        String seen = "processor " + (row == null ? "no row" : row.status() + " " + row.amountMinor()) + ", outcomes "
                + outcomes + ", ledger entries " + ledger + ", provider refunds " + provider;
        if (row == null || !(row.status().equals("succeeded") || row.status().equals("failed"))) {
            out.add(new Violation("refund-decided", id, "accepted (2xx) but not decided: " + seen));
            return row == null ? null : row.status();
        }
        if (!row.paymentId().equals(r.paymentId())
                || (r.amountMinor() != null && row.amountMinor() != r.amountMinor())) {
            out.add(new Violation(
                    "refund-as-asked", id, "asked " + r.amountMinor() + " of " + r.paymentId() + ", " + seen));
        }
        if (outcomes != 1) {
            out.add(new Violation("refund-outcome-once", id, "accepted (2xx), " + seen));
        }
        if (row.status().equals("succeeded")) {
            if (!ledger.equals(List.of(row.amountMinor()))) {
                out.add(new Violation("refund-ledger-once", id, "succeeded, " + seen));
            }
            if (!provider.equals(List.of(row.amountMinor()))) {
                out.add(new Violation("provider-refund-once", id, "succeeded, " + seen));
            }
        } else if (!ledger.isEmpty() || !provider.isEmpty()) {
            out.add(new Violation("failed-refund-left-something", id, "failed, " + seen));
        }
        return row.status();
    }

    private static boolean one(List<Long> provider, Sent r, Stores s) {
        return provider != null
                && provider.size() == 1
                && provider.get(0) == s.refunds().get(r.refundId()).amountMinor();
    }

    /** A refund refused (or never answered, and not recorded) left no intent, row, entry, provider refund or outcome. */
    private static void leftNothing(
            Sent r, Stores s, Map<String, List<Long>> providerById, String rule, List<Violation> out) {
        String id = r.refundId();
        boolean any = s.intents().contains(id)
                || s.refunds().containsKey(id)
                || s.ledger().containsKey(id)
                || providerById.containsKey(id)
                || s.outcomes().containsKey(id);
        if (any) {
            out.add(new Violation(
                    rule,
                    id,
                    "answers " + r.replies() + ", yet intent " + s.intents().contains(id) + ", processor row "
                            + s.refunds().get(id) + ", ledger " + s.ledger().get(id) + ", provider "
                            + providerById.get(id) + ", outcomes "
                            + s.outcomes().get(id)));
        }
    }

    /**
     * Each answer against what its plan expected: a refund over the remainder refused with a 422 over
     * the remainder (unless an earlier accepted refund of its plan failed, freeing its amount), one that
     * fits accepted, exactly one of a race accepted, and no other refusal. Returns {refused over the
     * remainder as expected, races with one refused}.
     */
    static long[] expectations(List<Sent> sent, Stores s, List<Violation> out) {
        Map<Long, List<Sent>> plans = new HashMap<>();
        sent.forEach(
                r -> plans.computeIfAbsent(r.plan(), k -> new ArrayList<>()).add(r));
        long refusedAsExpected = 0, raceRefusals = 0;
        for (Sent r : sent) {
            Answer a = answer(r, new ArrayList<>());
            boolean overRemainder = r.replies().stream()
                    .allMatch(rep -> rep.answer() == Answer.REJECTED && OVER_REMAINDER.contains(rep.problem()));
            if (r.replies().stream()
                    .anyMatch(rep -> rep.answer() == Answer.REJECTED && !OVER_REMAINDER.contains(rep.problem()))) {
                out.add(new Violation("refund-refused", r.refundId(), "refused other than over the remainder: " + r));
            }
            if (r.expect() == Expect.REFUSED && a == Answer.ACCEPTED && !earlierFailed(r, plans.get(r.plan()), s)) {
                out.add(new Violation("refund-over-remainder-accepted", r.refundId(), "over the remainder, yet " + r));
            } else if (r.expect() == Expect.REFUSED && a == Answer.REJECTED && overRemainder) {
                refusedAsExpected++;
            } else if (r.expect() == Expect.FITS && a == Answer.REJECTED) {
                out.add(new Violation("refund-within-remainder-refused", r.refundId(), "it fits, yet " + r));
            }
        }
        for (List<Sent> plan : plans.values()) {
            List<Sent> race =
                    plan.stream().filter(r -> r.expect() == Expect.ONE_OF_RACE).toList();
            List<Answer> answers =
                    race.stream().map(r -> answer(r, new ArrayList<>())).toList();
            if (race.size() < 2 || answers.contains(Answer.UNKNOWN)) {
                continue;
            }
            long accepted = answers.stream().filter(x -> x == Answer.ACCEPTED).count();
            if (accepted != 1 && !(accepted > 1 && race.stream().anyMatch(r -> failed(r, s)))) {
                out.add(new Violation(
                        "refund-race",
                        race.get(0).paymentId(),
                        accepted + " of " + race.size() + " accepted: " + race));
            } else if (accepted == 1) {
                raceRefusals++;
                refusedAsExpected++;
            }
        }
        return new long[] {refusedAsExpected, raceRefusals};
    }

    private static boolean earlierFailed(Sent r, List<Sent> plan, Stores s) {
        return plan.stream().anyMatch(e -> e.stage() < r.stage() && failed(e, s));
    }

    private static boolean failed(Sent r, Stores s) {
        Stored row = s.refunds().get(r.refundId());
        return row != null && row.status().equals("failed");
    }

    /** Every refund the stores hold was sent by this run, and every provider refund names its refund id. */
    static List<Violation> strangers(List<Sent> sent, Stores s) {
        Set<String> ids = new HashSet<>();
        sent.forEach(r -> ids.add(r.refundId()));
        Set<String> strangers = new TreeSet<>();
        for (Set<String> held : List.of(
                s.refunds().keySet(),
                s.intents(),
                s.ledger().keySet(),
                s.outcomes().keySet())) {
            held.stream().filter(id -> !ids.contains(id)).forEach(strangers::add);
        }
        List<Violation> out = new ArrayList<>();
        for (ProviderRefund p : s.provider()) {
            if (p.refundId() == null) {
                out.add(new Violation("unmarked-refund", p.id(), "a provider refund with no refund id, of " + p));
            } else if (!ids.contains(p.refundId())) {
                strangers.add(p.refundId());
            }
        }
        strangers.forEach(id -> out.add(new Violation("refund-stranger", id, "held by the stores, never sent")));
        return out;
    }

    /**
     * Per payment: refunded never over captured, in the ledger and at the provider (its refunds, and
     * its own count on the charge), and the ledger's refunded sum equals the provider's.
     */
    static List<Violation> sums(Stores s) {
        Map<String, Long> provider = new HashMap<>();
        s.provider().forEach(p -> provider.merge(p.paymentId(), p.amountMinor(), Long::sum));
        Set<String> payments = new TreeSet<>(s.ledgerRefunded().keySet());
        payments.addAll(provider.keySet());
        s.charges().forEach((id, c) -> {
            if (c.refundedMinor() > 0) {
                payments.add(id);
            }
        });
        List<Violation> out = new ArrayList<>();
        for (String id : payments) {
            long ledger = s.ledgerRefunded().getOrDefault(id, 0L);
            long atProvider = provider.getOrDefault(id, 0L);
            long captured = s.captured().getOrDefault(id, 0L);
            Charge c = s.charges().getOrDefault(id, new Charge(0, 0));
            String seen = "captured " + captured + " (provider " + c.amountMinor() + "), refunded: ledger " + ledger
                    + ", provider refunds " + atProvider + ", provider's charge " + c.refundedMinor();
            if (ledger > captured) {
                out.add(new Violation("ledger-refunded-over-captured", id, seen));
            }
            if (atProvider > c.amountMinor() || c.refundedMinor() > c.amountMinor()) {
                out.add(new Violation("provider-refunded-over-captured", id, seen));
            }
            if (ledger != atProvider || atProvider != c.refundedMinor()) {
                out.add(new Violation("ledger-equals-provider", id, seen));
            }
        }
        return out;
    }

    /**
     * The checks had material: refunds accepted (some through kill windows, when the run killed
     * anything: a run without kills, as the zombie test's, has no window to be in), refused over the
     * remainder, duplicated, matched.
     */
    static List<Violation> coverage(Counts c, boolean killed) {
        List<Violation> out = new ArrayList<>();
        Map<String, Long> required = new java.util.LinkedHashMap<>();
        required.put("refunds accepted", c.accepted());
        if (killed) {
            required.put("refunds accepted with a try in a kill window", c.acceptedInKillWindows());
        }
        required.put("refunds refused over the remainder as expected", c.refusedOverRemainder());
        required.put("concurrent duplicate groups with 2 or more copies accepted", c.duplicateGroups());
        required.put("succeeded refunds matched to one provider refund", c.providerMatched());
        required.forEach((what, n) -> {
            if (n == 0) {
                out.add(new Violation("refund-coverage", "refunds", what + ": 0; the refund checks checked nothing"));
            }
        });
        return out;
    }
}
