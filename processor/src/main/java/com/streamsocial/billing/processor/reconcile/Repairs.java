package com.streamsocial.billing.processor.reconcile;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fixes each break a comparison found with an idempotent action: a re-drive ({@link Redrive}), a
 * provider refund ({@link SettlementReport}) or a ledger compensation entry, written in the session.
 */
final class Repairs {
    private final ReconcileSession session;
    private final SettlementReport provider;
    private final Redrive redrive;

    Repairs(ReconcileSession session, SettlementReport provider, Redrive redrive) {
        this.session = session;
        this.provider = provider;
        this.redrive = redrive;
    }

    /** Repairs every break of {@code found} a repair exists for, and counts them in {@code report}. */
    void repair(Map<BreakClass, List<Row>> found, ReconcileReport report) throws Exception {
        redriveLost(found, report);
        redriveStuckRefunds(found, report);
        refundCharges(found, report);
        compensateLedger(found, report);
    }

    /** A payment missing in the ledger, missing its outcome or stuck goes through the processor again. */
    private void redriveLost(Map<BreakClass, List<Row>> found, ReconcileReport report) throws Exception {
        List<String> ids = new ArrayList<>();
        for (BreakClass c : List.of(BreakClass.MISSING_IN_LEDGER, BreakClass.MISSING_OUTCOME, BreakClass.STUCK)) {
            found.get(c).forEach(r -> ids.add(r.getString(1)));
            report.repaired(c, found.get(c).size());
        }
        if (!ids.isEmpty()) {
            redrive.send(ids);
        }
    }

    /**
     * A refund stuck (pending at the provider, never answered, or accepted and never claimed) goes
     * through the processor again under its own id: a pending one is looked up by its provider id, the
     * others posted again under the provider idempotency key of their refund id, which the provider
     * answers with the refund it made first, if any. The ledger decides each once.
     */
    private void redriveStuckRefunds(Map<BreakClass, List<Row>> found, ReconcileReport report) throws Exception {
        List<String> ids = new ArrayList<>();
        found.get(BreakClass.STUCK_REFUND).forEach(r -> ids.add(r.getString(0)));
        if (!ids.isEmpty()) {
            redrive.sendRefunds(ids);
            report.repaired(BreakClass.STUCK_REFUND, ids.size());
        }
    }

    /** Orphan charges are refunded; of duplicate charges, all but the one the ledger knows (or the oldest). */
    private void refundCharges(Map<BreakClass, List<Row>> found, ReconcileReport report) throws Exception {
        for (Row r : found.get(BreakClass.ORPHAN_CHARGE)) {
            provider.refund(r.getString(0), "orphan");
            report.repaired(BreakClass.ORPHAN_CHARGE, 1);
        }
        for (Row r : found.get(BreakClass.DUPLICATE_CHARGE)) {
            // Keep the charge the ledger knows (or the oldest); refund the others.
            for (Row e : session.query("""
                            SELECT c.charge_id FROM rec_live c
                            WHERE c.payment_id = $1
                            ORDER BY (c.charge_id = (SELECT provider_ref FROM payments WHERE payment_id = $1)) DESC NULLS LAST,
                                     c.created_s, c.charge_id
                            OFFSET 1""", Tuple.of(r.getString(1)))) {
                provider.refund(e.getString(0), "duplicate");
            }
            report.repaired(BreakClass.DUPLICATE_CHARGE, 1);
        }
    }

    /** The ledger's breaks: each gets the compensation entry that brings it to the provider's money. */
    private void compensateLedger(Map<BreakClass, List<Row>> found, ReconcileReport report) throws Exception {
        for (Row r : found.get(BreakClass.STATUS_MISMATCH)) {
            // The provider charged: the entry brings the ledger to the provider's money and status.
            compensate(r.getString(1), "status:succeeded");
            report.repaired(BreakClass.STATUS_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.MISSING_AT_PROVIDER)) {
            // The provider holds nothing: the entry reverses the ledger's money and marks it failed.
            compensate(r.getString(1), "status:failed");
            report.repaired(BreakClass.MISSING_AT_PROVIDER, 1);
        }
        for (Row r : found.get(BreakClass.REFUND_MISMATCH)) {
            repairRefunds(r.getString(1));
            report.repaired(BreakClass.REFUND_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.AMOUNT_MISMATCH)) {
            session.query("""
                            INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                            SELECT $1, 'compensation',
                                   (SELECT sum(amount) FROM rec_provider WHERE payment_id = $1)
                                 - (SELECT sum(amount) FROM ledger_entries WHERE payment_id = $1),
                                   (SELECT min(currency) FROM rec_provider WHERE payment_id = $1), 'amount:provider'""", Tuple.of(r.getString(1)));
            report.repaired(BreakClass.AMOUNT_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.CURRENCY_MISMATCH)) {
            session.query("""
                            INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                            SELECT payment_id, 'compensation', -sum(amount), currency, 'currency:reverse'
                            FROM ledger_entries WHERE payment_id = $1 GROUP BY payment_id, currency HAVING sum(amount) <> 0
                            UNION ALL
                            SELECT payment_id, 'compensation', sum(amount), currency, 'currency:provider'
                            FROM rec_provider WHERE payment_id = $1 GROUP BY payment_id, currency HAVING sum(amount) <> 0""", Tuple.of(r.getString(1)));
            report.repaired(BreakClass.CURRENCY_MISMATCH, 1);
        }
    }

    /**
     * A payment whose ledger and provider refunded different sums. First the ledger's own record: a
     * {@code refund} entry for each refund the processor recorded succeeded whose entry is missing
     * (one per refund id, by the database's unique index). Then what the processor never recorded (a
     * refund made in the provider's dashboard, or a ledger refund the provider does not hold): one
     * compensation of the difference, noted {@link BreakQueries#REFUND_NOTE}. Not while a refund of
     * the payment is still {@code refunding}: its answer would be recorded on top of the compensation.
     */
    private void repairRefunds(String paymentId) throws Exception {
        session.query("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, refund_id)
                        SELECT x.payment_id, 'refund', -x.amount, x.currency, x.refund_id FROM refunds x
                        WHERE x.payment_id = $1 AND x.status = 'succeeded'
                        ON CONFLICT (refund_id) WHERE refund_id IS NOT NULL DO NOTHING""", Tuple.of(paymentId));
        session.query("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                        SELECT p.payment_id, 'compensation', g.gap, p.currency, $2
                        FROM payments p, LATERAL (SELECT
                               coalesce((SELECT -sum(e.amount) FROM ledger_entries e WHERE e.payment_id = p.payment_id
                                         AND (e.kind = 'refund' OR (e.kind = 'compensation' AND e.note = $2))), 0)
                             - coalesce((SELECT f.refunded FROM rec_refunded f WHERE f.charge_id = p.provider_ref), 0) AS gap) g
                        WHERE p.payment_id = $1 AND g.gap <> 0
                          AND NOT EXISTS (SELECT 1 FROM refunds x WHERE x.payment_id = $1 AND x.status = 'refunding')""", Tuple.of(paymentId, BreakQueries.REFUND_NOTE));
    }

    /** Appends an entry of (provider net - ledger net) in the provider's currency, with {@code note}. */
    private void compensate(String paymentId, String note) throws Exception {
        session.query("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                        SELECT $1, 'compensation',
                               coalesce((SELECT sum(amount) FROM rec_provider WHERE payment_id = $1), 0)
                             - coalesce((SELECT sum(amount) FROM ledger_entries WHERE payment_id = $1), 0),
                               coalesce((SELECT min(currency) FROM rec_provider WHERE payment_id = $1),
                                        (SELECT currency FROM payments WHERE payment_id = $1)),
                               $2""", Tuple.of(paymentId, note));
    }
}
