package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.processor.webhook.WebhookRules;
import com.streamsocial.billing.refund.RefundDecision;
import com.streamsocial.billing.refund.RefundPlanner;
import com.streamsocial.billing.refund.RefundReason;
import com.streamsocial.billing.refund.RefundState;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The processor's refunds in PostgreSQL: one transaction per batch locks the batch's payments (the
 * gateway's lock, in payment id order), reads their stored refunds, plans with {@link RefundPlanner}
 * and claims (new refunds {@code refunding}, refused ones {@code failed}) before the provider is
 * called: the recovery point. One statement then records the answers with their {@code refund} ledger
 * entries (negative: money returned), one per refund id by the database's unique index.
 */
public final class RefundLedger {
    private static final String COLUMNS = "refund_id, payment_id, tenant, request_hash, amount, currency, status,"
            + " failure_code, provider_ref, coalesce((extract(epoch FROM decided_at) * 1000)::bigint, 0),"
            + " source_partition, source_offset";

    /** Every stored refund of the batch's payments, and each of its refund ids whatever its payment. */
    private static final String STORED = "SELECT " + COLUMNS + " FROM refunds"
            + " WHERE payment_id = ANY($1::text[]) OR refund_id = ANY($2::text[])";

    private static final String CLAIM = """
            INSERT INTO refunds (refund_id, payment_id, tenant, request_hash, amount, currency, reason, status,
                                 failure_code, attempts, last_attempt_at, source_partition, source_offset, decided_at)
            SELECT t.id, t.pay, t.tenant, t.hash, t.amount, t.currency, t.reason, t.status, t.code,
                   CASE WHEN t.status = 'refunding' THEN 1 ELSE 0 END, now(), t.part, t.off,
                   CASE WHEN t.status = 'failed' THEN now() END
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                        $8::text[], $9::text[], $10::int[], $11::bigint[])
                 AS t(id, pay, tenant, hash, amount, currency, reason, status, code, part, off)
            ON CONFLICT (refund_id) DO NOTHING
            RETURNING %s
            """.formatted(COLUMNS);

    private static final String RESUME = "UPDATE refunds SET attempts = attempts + 1, last_attempt_at = now()"
            + " WHERE refund_id = ANY($1::text[]) AND status = 'refunding'";

    private static final String RECORD = """
            WITH o AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS t(id, status, ref, code, pending)
            ), upd AS (
                UPDATE refunds r SET status = o.status, provider_ref = o.ref, failure_code = o.code,
                                     decided_at = CASE WHEN o.status = 'refunding' THEN NULL ELSE now() END,
                                     provider_status = o.pending
                FROM o WHERE r.refund_id = o.id AND r.status = 'refunding'
                RETURNING r.*
            ), led AS (
                INSERT INTO ledger_entries (payment_id, kind, amount, currency, refund_id)
                SELECT payment_id, 'refund', -amount, currency, refund_id FROM upd WHERE status = 'succeeded'
                ON CONFLICT (refund_id) WHERE refund_id IS NOT NULL DO NOTHING
            )
            SELECT %1$s FROM upd
            UNION ALL
            SELECT %1$s FROM refunds WHERE refund_id = ANY(ARRAY(SELECT id FROM o EXCEPT SELECT refund_id FROM upd))
            """.formatted(COLUMNS);

    private final Pool pool;

    public RefundLedger(Pool pool) {
        this.pool = pool;
    }

    /** A payment as locked: what the provider refunds against ({@code providerRef}: the charge or capture). */
    public record Payment(
            String paymentId,
            String tenant,
            RefundDecision.PaymentState state,
            long capturedMinor,
            String currency,
            String providerRef) {}

    /** The claim of one batch: each record's step, the payments and every stored refund of them after the claim. */
    public record Claim(
            List<RefundPlanner.Step> steps, Map<String, Payment> payments, Map<String, StoredRefund> stored) {}

    /** Plans and claims {@code requests} (decoded records, in poll order) in one transaction. */
    public Future<Claim> claim(List<RefundInput> requests) {
        String[] ids =
                new TreeSet<>(requests.stream().map(r -> r.event().paymentId()).toList()).toArray(String[]::new);
        String[] refundIds =
                requests.stream().map(r -> r.event().refundId()).distinct().toArray(String[]::new);
        return pool.withTransaction(conn -> LedgerStore.lockForRefunds(conn, ids)
                .compose(locked -> conn.preparedQuery(STORED)
                        .execute(Tuple.wrap(new Object[] {ids, refundIds}))
                        .compose(stored -> claimPlanned(conn, requests, payments(locked), refunds(stored)))));
    }

    private static Future<Claim> claimPlanned(
            SqlConnection conn,
            List<RefundInput> requests,
            Map<String, Payment> payments,
            Map<String, StoredRefund> stored) {
        Map<String, RefundPlanner.Account> accounts = new HashMap<>();
        for (Payment p : payments.values()) {
            List<RefundPlanner.Stored> of = stored.values().stream()
                    .filter(s -> s.paymentId().equals(p.paymentId()))
                    .map(StoredRefund::planned)
                    .toList();
            accounts.put(p.paymentId(), new RefundPlanner.Account(p.paymentId(), p.state(), p.capturedMinor(), of));
        }
        List<RefundPlanner.Step> steps = RefundPlanner.plan(
                requests.stream().map(RefundInput::request).toList(),
                accounts,
                stored.values().stream().map(StoredRefund::planned).toList());
        Map<String, RefundInput> byRefund = new HashMap<>();
        requests.forEach(r -> byRefund.putIfAbsent(r.event().refundId(), r));
        List<Object[]> rows = new ArrayList<>();
        List<String> resumed = new ArrayList<>();
        for (RefundPlanner.Step s : steps) {
            if (s instanceof RefundPlanner.Refund r) {
                rows.add(
                        row(byRefund.get(r.refundId()), payments.get(r.request().paymentId()), "refunding", null));
            } else if (s instanceof RefundPlanner.Refuse r) {
                rows.add(row(
                        byRefund.get(r.refundId()),
                        payments.get(r.request().paymentId()),
                        "failed",
                        r.why().failureCode));
            } else if (s instanceof RefundPlanner.Resume r) {
                resumed.add(r.refundId());
            }
        }
        Future<RowSet<Row>> claimed = rows.isEmpty()
                ? Future.succeededFuture(null)
                : conn.preparedQuery(CLAIM).execute(columns(rows));
        return claimed.compose(c -> resumed.isEmpty()
                        ? Future.succeededFuture(c)
                        : conn.preparedQuery(RESUME)
                                .execute(Tuple.of((Object) resumed.toArray(String[]::new)))
                                .map(x -> c))
                .map(c -> {
                    Map<String, StoredRefund> after = new HashMap<>(stored);
                    if (c != null) {
                        after.putAll(refunds(c));
                    }
                    return new Claim(steps, payments, after);
                });
    }

    private static Object[] row(RefundInput in, Payment p, String status, String code) {
        var e = in.event();
        // The tenant and currency are the payment's: a record naming others is refused by the planner's hash check.
        return new Object[] {
            e.refundId(),
            e.paymentId(),
            e.tenant(),
            e.requestHash(),
            e.amountMinor(),
            p == null ? e.currency() : p.currency(),
            e.reason().map(RefundReason::wire).orElse(null),
            status,
            code,
            in.partition(),
            in.offset()
        };
    }

    private static Tuple columns(List<Object[]> rows) {
        int n = rows.size();
        String[] id = new String[n], pay = new String[n], tenant = new String[n], hash = new String[n];
        String[] currency = new String[n], reason = new String[n], status = new String[n], code = new String[n];
        Long[] amount = new Long[n], off = new Long[n];
        Integer[] part = new Integer[n];
        for (int i = 0; i < n; i++) {
            Object[] r = rows.get(i);
            id[i] = (String) r[0];
            pay[i] = (String) r[1];
            tenant[i] = (String) r[2];
            hash[i] = (String) r[3];
            amount[i] = (Long) r[4];
            currency[i] = (String) r[5];
            reason[i] = (String) r[6];
            status[i] = (String) r[7];
            code[i] = (String) r[8];
            part[i] = (Integer) r[9];
            off[i] = (Long) r[10];
        }
        return Tuple.wrap(new Object[] {id, pay, tenant, hash, amount, currency, reason, status, code, part, off});
    }

    /** A provider's final answer about one refund. */
    public record Answer(
            String refundId, boolean succeeded, String providerRef, String failureCode, String pendingStatus) {}

    /**
     * Records answers: final ones with their ledger entries; a pending one keeps its refund
     * {@code refunding} with the provider's refund id and status, and no entry. Returns what is stored
     * for each.
     */
    public Future<List<StoredRefund>> record(List<Answer> answers) {
        if (answers.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        int n = answers.size();
        String[] ids = new String[n],
                statuses = new String[n],
                refs = new String[n],
                codes = new String[n],
                pending = new String[n];
        for (int i = 0; i < n; i++) {
            Answer a = answers.get(i);
            ids[i] = a.refundId();
            refs[i] = a.providerRef();
            pending[i] = a.pendingStatus();
            if (a.pendingStatus() != null) {
                statuses[i] = "refunding";
            } else {
                statuses[i] = a.succeeded() ? "succeeded" : "failed";
                codes[i] = a.succeeded() ? null : a.failureCode() == null ? "refund_failed" : a.failureCode();
            }
        }
        return record(pool, ids, statuses, refs, codes, pending);
    }

    private static Future<List<StoredRefund>> record(
            SqlClient client, String[] ids, String[] statuses, String[] refs, String[] codes, String[] pending) {
        return client.preparedQuery(RECORD)
                .execute(Tuple.wrap(new Object[] {ids, statuses, refs, codes, pending}))
                .map(rows -> new ArrayList<>(refunds(rows).values()));
    }

    /**
     * Decides, in {@code client}'s transaction, a refund of ours the provider left pending, as a
     * provider's event reports it (issue 21 §2): the statement that records the provider's answers, so
     * a final refund is never moved and its entry is written once. Returns what is stored.
     */
    public static Future<List<StoredRefund>> decidePending(
            SqlClient client, String refundId, boolean succeeded, String providerRef) {
        return record(
                client,
                new String[] {refundId},
                new String[] {succeeded ? "succeeded" : "failed"},
                new String[] {providerRef},
                new String[] {succeeded ? null : "refund_failed"},
                new String[] {null});
    }

    /** A payment's refunds as an event's application weighs them: id, provider's id, amount, state. */
    private static final String HELD =
            "SELECT refund_id, provider_ref, amount, status FROM refunds WHERE payment_id = $1"
                    + " UNION ALL SELECT i.refund_id, NULL, i.amount, 'pending' FROM refund_intents i WHERE i.payment_id = $1"
                    + " AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.refund_id = i.refund_id)";

    /**
     * The refunds of {@code paymentId} (its row locked by the caller): the processor's, and the
     * gateway's intents it has not claimed yet, which hold their amount as the gateway counts them.
     */
    public static Future<List<WebhookRules.HeldRefund>> held(SqlClient client, String paymentId) {
        return client.preparedQuery(HELD).execute(Tuple.of(paymentId)).map(rows -> {
            List<WebhookRules.HeldRefund> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(new WebhookRules.HeldRefund(r.getString(0), r.getString(1), r.getLong(2), r.getString(3)));
            }
            return out;
        });
    }

    private static final String RECORD_FOREIGN = """
            WITH ins AS (
                INSERT INTO refunds (refund_id, payment_id, tenant, request_hash, amount, currency, status, provider_ref,
                                     source_partition, source_offset, decided_at, origin)
                VALUES ($1, $2, $3, $4, $5, $6, 'succeeded', $1, $7, $8, now(), 'webhook')
                ON CONFLICT (refund_id) DO NOTHING
                RETURNING payment_id, amount, currency, refund_id
            )
            INSERT INTO ledger_entries (payment_id, kind, amount, currency, refund_id, note)
            SELECT payment_id, 'refund', -amount, currency, refund_id, 'refund made at the provider' FROM ins
            ON CONFLICT (refund_id) WHERE refund_id IS NOT NULL DO NOTHING
            RETURNING 1""";

    /**
     * Records, in {@code client}'s transaction, a refund the provider made that we did not ask for (its
     * dashboard): a {@code refunds} row of origin {@code webhook}, decided, under the provider's refund
     * id, and its {@code refund} ledger entry. True when this wrote it (once per refund id).
     */
    public static Future<Boolean> recordForeign(
            SqlClient client,
            String providerRefundId,
            String paymentId,
            String tenant,
            String eventId,
            long amountMinor,
            String currency,
            int partition,
            long offset) {
        return client.preparedQuery(RECORD_FOREIGN)
                .execute(Tuple.wrap(new Object[] {
                    providerRefundId, paymentId, tenant, "webhook:" + eventId, amountMinor, currency, partition, offset
                }))
                .map(rows -> rows.size() == 1);
    }

    /** The refunds {@code ids} as stored, read over {@code client}. */
    public static Future<List<StoredRefund>> stored(SqlClient client, List<String> ids) {
        if (ids.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return client.preparedQuery("SELECT " + COLUMNS + " FROM refunds WHERE refund_id = ANY($1::text[])")
                .execute(Tuple.of((Object) ids.toArray(String[]::new)))
                .map(rows -> new ArrayList<>(refunds(rows).values()));
    }

    private static Map<String, Payment> payments(RowSet<Row> rows) {
        Map<String, Payment> out = new HashMap<>();
        for (Row r : rows) {
            RefundDecision.PaymentState s = switch (r.getString(2)) {
                case "succeeded" -> RefundDecision.PaymentState.SUCCEEDED;
                case "failed" -> RefundDecision.PaymentState.FAILED;
                default -> RefundDecision.PaymentState.PENDING;
            };
            out.put(
                    r.getString(0),
                    new Payment(r.getString(0), r.getString(1), s, r.getLong(3), r.getString(4), r.getString(5)));
        }
        return out;
    }

    private static Map<String, StoredRefund> refunds(RowSet<Row> rows) {
        Map<String, StoredRefund> out = new HashMap<>();
        for (Row r : rows) {
            RefundState state = RefundState.fromWire(r.getString(6))
                    .orElseThrow(() -> new IllegalStateException("refunds.status outside its CHECK"));
            out.put(
                    r.getString(0),
                    new StoredRefund(
                            r.getString(0),
                            r.getString(1),
                            r.getString(2),
                            r.getString(3),
                            r.getLong(4),
                            r.getString(5),
                            state,
                            r.getString(7),
                            r.getString(8),
                            r.getLong(9),
                            r.getInteger(10),
                            r.getLong(11)));
        }
        return out;
    }
}
