package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.processor.psp.StripeProvider;
import java.util.Map;

/**
 * The reconciliation's break queries, one per {@link BreakClass}, in one place: each runs against the
 * {@code rec_*} tables that {@link Sources} loads for its window (the log, the ledger, the
 * provider's report) and returns (id, payment_id, details...). Parameters: $1 and $2 the window, $3
 * the grace bound, $4 the stuck-after age, all in milliseconds.
 */
final class BreakQueries {
    /** The note of a compensation that brings the ledger's refunds to the provider's. */
    static final String REFUND_NOTE = "refund:provider";

    private BreakQueries() {}

    /**
     * Whether the processor group has not yet committed past some billing record of {@code paymentId}
     * (any record in the scan, or the one that claimed the ledger row). Such a record will still be
     * processed and emit an outcome, so a re-drive now would emit a second one. Index lookups per
     * candidate row only: the candidates are the few breaks, never the whole window.
     */
    private static String notYetProcessed(String paymentId) {
        return """
                (EXISTS (SELECT 1 FROM rec_billing b LEFT JOIN rec_committed k ON k.src_partition = b.src_partition
                         WHERE b.payment_id = %1$s AND (k.committed IS NULL OR k.committed <= b.src_offset))
                 OR EXISTS (SELECT 1 FROM payments s LEFT JOIN rec_committed k ON k.src_partition = s.source_partition
                            WHERE s.payment_id = %1$s AND s.source_partition >= 0
                              AND (k.committed IS NULL OR k.committed <= s.source_offset)))""".formatted(paymentId);
    }

    /** The queries, one per class; each returns (id, payment_id, details...). */
    static Map<BreakClass, String> all() {
        Map<BreakClass, String> q = new java.util.EnumMap<>(BreakClass.class);
        redriven(q);
        provider(q);
        money(q);
        return q;
    }

    /** The classes a re-drive repairs, and lagging: their candidates before the processor passed them. */
    private static void redriven(Map<BreakClass, String> q) {
        // The three classes repaired by a re-drive: each candidate is a break only once the processor
        // has passed all its billing records; before that it is lagging (reported, never re-driven).
        String missingInLedger = """
                SELECT DISTINCT b.payment_id AS payment_id, 'missing_in_ledger' AS would_be FROM rec_billing b
                WHERE b.accepted_ms BETWEEN $1 AND $2 AND b.accepted_ms < $3
                  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = b.payment_id)""";
        String missingOutcome = """
                SELECT p.payment_id AS payment_id, 'missing_outcome' AS would_be FROM rec_payments p
                WHERE p.status IN ('succeeded', 'failed') AND p.decided_at < to_timestamp($3 / 1000.0)
                  AND NOT EXISTS (SELECT 1 FROM rec_results r WHERE r.payment_id = p.payment_id)""";
        String stuck = """
                SELECT p.payment_id AS payment_id, 'stuck' AS would_be FROM rec_payments p
                WHERE p.status IN ('claimed', 'charging')
                  AND p.last_touched_at < now() - make_interval(secs => $4 / 1000.0)""";
        q.put(BreakClass.MISSING_IN_LEDGER, passed(missingInLedger, true));
        q.put(BreakClass.MISSING_OUTCOME, passed(missingOutcome, true));
        q.put(BreakClass.STUCK, passed(stuck, true));
        q.put(
                BreakClass.LAGGING,
                passed(missingInLedger + "\nUNION ALL\n" + missingOutcome + "\nUNION ALL\n" + stuck, false));
    }

    /** The provider's side: duplicate, orphan, foreign and missing charges, and status mismatches. */
    private static void provider(Map<BreakClass, String> q) {
        q.put(BreakClass.DUPLICATE_CHARGE, """
                SELECT l.payment_id, l.payment_id FROM rec_live l
                WHERE EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = l.payment_id)
                GROUP BY l.payment_id HAVING count(*) > 1""");
        // A live charge for no payment we know: ours (it carries our marker) is an orphan to refund;
        // anyone else's, on a shared account, is foreign and never touched.
        String unknownCharge = """
                SELECT l.charge_id, l.payment_id, l.tenant FROM rec_live l
                WHERE l.created_s * 1000 < $3
                  AND (l.payment_id IS NULL
                       OR (NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = l.payment_id)
                           AND NOT EXISTS (SELECT 1 FROM rec_billing b WHERE b.payment_id = l.payment_id)))
                  AND """;
        String ours = "(l.marker = '" + StripeProvider.CHARGE_SOURCE + "' AND l.tenant IS NOT NULL)";
        q.put(BreakClass.ORPHAN_CHARGE, unknownCharge + " " + ours);
        q.put(BreakClass.FOREIGN_CHARGE, unknownCharge + " NOT coalesce(" + ours + ", false)");
        // A payment the ledger has refunded (partly or wholly) is compared by refund_mismatch instead.
        q.put(BreakClass.MISSING_AT_PROVIDER, """
                SELECT p.payment_id, p.payment_id FROM rec_payments p JOIN rec_effective e ON e.payment_id = p.payment_id
                WHERE e.status = 'succeeded' AND p.decided_at < to_timestamp($3 / 1000.0)
                  AND NOT EXISTS (SELECT 1 FROM rec_live l WHERE l.payment_id = p.payment_id)
                  AND NOT EXISTS (SELECT 1 FROM rec_ledger_refunded r WHERE r.payment_id = p.payment_id)""");
        // By its claim time, not its last try: a refund the loop keeps asking about is touched each batch.
        // And an accepted refund intent the processor never claimed, older than the same age.
        q.put(BreakClass.STUCK_REFUND, """
                SELECT x.refund_id, x.payment_id, x.attempts::text FROM refunds x
                JOIN rec_payments p ON p.payment_id = x.payment_id
                WHERE x.status = 'refunding' AND x.created_at < now() - make_interval(secs => $4 / 1000.0)
                UNION ALL
                SELECT i.refund_id, i.payment_id, 'unclaimed' FROM refund_intents i
                JOIN rec_payments p ON p.payment_id = i.payment_id
                WHERE i.accepted_at < now() - make_interval(secs => $4 / 1000.0)
                  AND NOT EXISTS (SELECT 1 FROM refunds x WHERE x.refund_id = i.refund_id)""");
        q.put(BreakClass.STATUS_MISMATCH, """
                SELECT e.payment_id, e.payment_id FROM rec_effective e
                WHERE e.status = 'failed' AND EXISTS (SELECT 1 FROM rec_live l WHERE l.payment_id = e.payment_id)""");
    }

    /** Money per payment and currency on each side, and the tenant named on each side. */
    private static void money(Map<BreakClass, String> q) {
        // Money per payment and currency on each side, for payments with exactly one live charge.
        String money = """
                WITH one AS (
                    SELECT l.payment_id FROM rec_live l JOIN rec_payments p ON p.payment_id = l.payment_id
                    GROUP BY l.payment_id HAVING count(*) = 1
                ), ledger AS (
                    SELECT n.payment_id, string_agg(n.currency, ',' ORDER BY n.currency) AS currencies,
                           string_agg(n.net::text, ',' ORDER BY n.currency) AS nets
                    FROM rec_ledger_net n JOIN one ON one.payment_id = n.payment_id
                    GROUP BY n.payment_id
                ), provider AS (
                    SELECT r.payment_id, string_agg(r.currency, ',' ORDER BY r.currency) AS currencies,
                           string_agg(r.net::text, ',' ORDER BY r.currency) AS nets
                    FROM (SELECT c.payment_id, c.currency, sum(c.amount) AS net
                          FROM rec_provider c JOIN one ON one.payment_id = c.payment_id
                          GROUP BY 1, 2 HAVING sum(c.amount) <> 0) r
                    GROUP BY r.payment_id
                )
                SELECT l.payment_id, l.payment_id, l.currencies, l.nets, v.currencies, v.nets
                FROM ledger l JOIN provider v ON v.payment_id = l.payment_id
                WHERE """;
        // One payment, more than one tenant named: by its billing records in the window, its ledger row,
        // or the metadata[tenant] of a charge (refunded or not) carrying its payment id. A charge without
        // metadata[tenant] (made before the marker existed) names none. Payments known only to the
        // provider are orphan or foreign charges, not this class.
        q.put(BreakClass.TENANT_MISMATCH, """
                SELECT t.payment_id, t.payment_id,
                       string_agg(DISTINCT t.side || '=' || t.tenant, ',' ORDER BY t.side || '=' || t.tenant)
                FROM (SELECT b.payment_id, 'log' AS side, b.tenant FROM rec_billing b
                      WHERE b.accepted_ms BETWEEN $1 AND $2
                      UNION ALL
                      SELECT p.payment_id, 'ledger', p.tenant FROM rec_payments p
                      UNION ALL
                      SELECT c.payment_id, 'provider', c.tenant FROM rec_provider c
                      WHERE c.type = 'charge' AND c.payment_id IS NOT NULL AND c.tenant IS NOT NULL) t
                GROUP BY t.payment_id
                HAVING count(DISTINCT t.tenant) > 1 AND bool_or(t.side <> 'provider')""");
        q.put(BreakClass.CURRENCY_MISMATCH, money + " l.currencies <> v.currencies");
        // A refund gap shows in the nets too: it is a refund_mismatch, repaired as one, not twice.
        q.put(
                BreakClass.AMOUNT_MISMATCH,
                money
                        + " l.currencies = v.currencies AND l.nets <> v.nets AND l.payment_id NOT IN (SELECT g.payment_id FROM ("
                        + refundGap() + ") g)");
        q.put(
                BreakClass.REFUND_MISMATCH,
                "SELECT g.payment_id, g.payment_id, g.ledger::text, g.provider::text FROM (" + refundGap() + ") g");
    }

    /**
     * (payment_id, ledger, provider): succeeded payments whose refunded sums differ, the ledger's
     * (refund entries and refund compensations) against the provider's refund lines of the charge the
     * ledger names (a duplicate charge's refunds are not the payment's). Payments missing_at_provider
     * are left to that class. A payment is skipped while its refunds are settling: a refund decided
     * within the grace period, a provider refund line that recent, or a refund still {@code
     * refunding} and touched more recently than the stuck-after age.
     */
    private static String refundGap() {
        return """
                SELECT p.payment_id, coalesce(l.refunded, 0) AS ledger, coalesce(v.refunded, 0) AS provider
                FROM rec_payments p JOIN rec_effective e ON e.payment_id = p.payment_id AND e.status = 'succeeded'
                LEFT JOIN rec_ledger_refunded l ON l.payment_id = p.payment_id
                LEFT JOIN rec_refunded v ON v.charge_id = p.provider_ref
                WHERE coalesce(l.refunded, 0) <> coalesce(v.refunded, 0)
                  AND (l.payment_id IS NOT NULL OR EXISTS (SELECT 1 FROM rec_live c WHERE c.payment_id = p.payment_id))
                  AND NOT EXISTS (SELECT 1 FROM refunds x WHERE x.payment_id = p.payment_id
                                  AND (x.decided_at >= to_timestamp($3 / 1000.0)
                                       OR (x.status = 'refunding'
                                           AND x.last_attempt_at >= now() - make_interval(secs => $4 / 1000.0))))
                  AND NOT EXISTS (SELECT 1 FROM rec_provider r WHERE r.type = 'refund' AND r.charge_id = p.provider_ref
                                  AND r.created_s * 1000 >= $3)""";
    }

    /** (payment_id, payment_id, would_be) of {@code candidates} the processor has / has not passed. */
    private static String passed(String candidates, boolean passed) {
        return "SELECT c.payment_id, c.payment_id, c.would_be FROM (" + candidates + ") c WHERE "
                + (passed ? "NOT " : "") + notYetProcessed("c.payment_id");
    }
}
