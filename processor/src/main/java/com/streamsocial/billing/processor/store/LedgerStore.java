package com.streamsocial.billing.processor.store;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.Plan;
import com.streamsocial.billing.processor.dedup.StoredPayment;
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
import java.util.Set;

/**
 * The processor's idempotency table and ledger in PostgreSQL. Every statement covers a whole polled
 * batch through arrays and {@code unnest}: there is no round trip per record.
 *
 * <p>A batch of new payments costs one read and one write: {@link #stored} reads what the ledger holds
 * for the batch and writes nothing for a new payment; {@link #record} inserts each new payment with
 * its answer, final or not, in one row version, and its ledger entry. A crash before that write
 * leaves no row: the record is read again (its offset is committed only with its outcome) and the
 * provider is asked again with the same idempotency key, which returns its first answer. Rows that
 * already exist (a replay of an unfinished payment) are marked {@code charging} again, attempts
 * counted, before the provider is called; {@code claimed} is only found in rows of earlier versions.
 */
public final class LedgerStore {
    /** A stored payment as {@link #byId} reads it, from {@code payments} or from an update's rows. */
    private static final String STORED_COLUMNS = """
            payment_id, tenant, idempotency_key, request_hash, amount, currency, status,
            source_partition, source_offset, failure_code, provider_ref,
            coalesce((extract(epoch FROM decided_at) * 1000)::bigint, 0)
            """;

    private static final String LOAD = "SELECT " + STORED_COLUMNS + " FROM payments WHERE payment_id = ANY($1::text[])";

    /** Returns the intent of each payment an earlier answer left undecided: it is asked about, not created. */
    private static final String MARK_CHARGING = """
            UPDATE payments SET status = 'charging', attempts = attempts + 1, last_attempt_at = now()
            WHERE payment_id = ANY($1::text[]) AND status IN ('claimed', 'charging')
            RETURNING payment_id, provider_intent
            """;

    /**
     * A batch's answers in one statement, so one round trip and one commit. Each answer is an upsert
     * of its payment's row: a new payment is inserted with its answer (one row version: final, or
     * {@code charging} with what to ask about and why); an unfinished row is updated to it. A final
     * answer's success gets its ledger entry. It returns what is stored for every final answer: the
     * rows it wrote as written, and the others (decided first by another instance) as they were. Only
     * those others are looked up again: the array of ids left over is empty in the common case.
     */
    private static final String RECORD = """
            WITH a AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                                     $7::text[], $8::text[], $9::int[], $10::bigint[], $11::bigint[],
                                     $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
                    AS t(id, tenant, key, hash, amount, currency, customer, method, part, off, accepted_ms,
                         status, provider_ref, failure_code, intent, why)
            ), up AS (
                INSERT INTO payments AS p (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                                           customer_id, payment_method, status, attempts, last_attempt_at,
                                           source_partition, source_offset, accepted_at, provider_ref,
                                           failure_code, decided_at, provider_intent, provider_status)
                SELECT a.tenant, a.key, a.id, a.hash, a.amount, a.currency, a.customer, a.method, a.status, 1, now(),
                       a.part, a.off, to_timestamp(a.accepted_ms / 1000.0), a.provider_ref, a.failure_code,
                       CASE WHEN a.status = 'charging' THEN NULL ELSE now() END, a.intent, a.why
                FROM a
                ON CONFLICT (payment_id) DO UPDATE
                    SET status = excluded.status, provider_ref = excluded.provider_ref,
                        failure_code = excluded.failure_code, decided_at = excluded.decided_at,
                        provider_intent = CASE WHEN excluded.status = 'charging' THEN excluded.provider_intent
                                               ELSE coalesce(excluded.provider_intent, p.provider_intent) END,
                        provider_status = excluded.provider_status
                    WHERE p.status IN ('claimed', 'charging')
                RETURNING p.*
            ), led AS (
                INSERT INTO ledger_entries (payment_id, kind, amount, currency)
                SELECT payment_id, 'charge', amount, currency FROM up WHERE status = 'succeeded'
                ON CONFLICT (payment_id) WHERE kind = 'charge' DO NOTHING
            )
            SELECT %1$s FROM up WHERE status <> 'charging'
            UNION ALL
            SELECT %1$s FROM payments
            WHERE payment_id = ANY(ARRAY(SELECT id FROM a WHERE status <> 'charging' EXCEPT SELECT payment_id FROM up))
            """.formatted(STORED_COLUMNS);

    private static final String RECORD_CONFLICTS = """
            INSERT INTO idempotency_conflicts (tenant, idempotency_key, payment_id, stored_hash, conflicting_hash,
                                               source_partition, source_offset)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
            ON CONFLICT (source_partition, source_offset) DO NOTHING
            """;

    /** The billing event of each payment, as the ledger holds it (a re-drive sends it again). */
    private static final String EVENTS = """
            SELECT p.payment_id, p.tenant, p.idempotency_key, p.request_hash, p.amount, p.currency,
                   p.customer_id, p.payment_method, (extract(epoch FROM p.accepted_at) * 1000)::bigint
            FROM payments p WHERE p.payment_id = ANY($1::text[])""";

    /** The billing event of each decided payment, as the ledger holds it (a re-drive sends it again). */
    private static final String DECIDED_EVENTS = EVENTS + " AND p.status IN ('succeeded', 'failed')\n";

    /** Rows counted at most by one check of the payments stuck in charging: the query's bound. */
    public static final int STUCK_COUNTED_MAX = 10_000;

    /** The stuck-payment gauge's query: bounded, so a check costs at most STUCK_COUNTED_MAX rows. */
    private static final String STUCK = """
            SELECT count(*) FROM (
              SELECT 1 FROM payments
              WHERE status = 'charging'
                AND coalesce(last_attempt_at, created_at) < now() - make_interval(secs => $1)
              LIMIT $2) stuck""";

    /** The refunds' lock on their payments, in payment id order: the gateway's lock order. */
    private static final String LOCK_FOR_REFUNDS =
            "SELECT payment_id, tenant, status, amount, currency, provider_ref FROM payments"
                    + " WHERE payment_id = ANY($1::text[]) ORDER BY payment_id FOR NO KEY UPDATE";

    /**
     * A payment decided by a provider's event (issue 21 §2): only from {@code claimed} or {@code
     * charging}, never a final row; a success gets its one {@code charge} entry. Returns the row as
     * stored when this statement decided it, nothing otherwise.
     */
    private static final String DECIDE_BY_EVENT = """
            WITH up AS (
                UPDATE payments SET status = $2, provider_ref = coalesce($3, provider_ref), failure_code = $4,
                                    decided_at = now(), provider_status = NULL
                WHERE payment_id = $1 AND status IN ('claimed', 'charging')
                RETURNING *
            ), led AS (
                INSERT INTO ledger_entries (payment_id, kind, amount, currency)
                SELECT payment_id, 'charge', amount, currency FROM up WHERE status = 'succeeded'
                ON CONFLICT (payment_id) WHERE kind = 'charge' DO NOTHING
            )
            SELECT %s FROM up""".formatted(STORED_COLUMNS);

    /**
     * The payment an event names, locked as the refunds lock it: by our id when the event carries it,
     * else by the provider's ids of it (the intent or the charge; not indexed: rare events only).
     */
    private static final String LOCK_BY_ID = "SELECT payment_id, tenant, status, amount, currency FROM payments"
            + " WHERE payment_id = $1 FOR NO KEY UPDATE";

    private static final String LOCK_BY_PROVIDER_IDS =
            "SELECT payment_id, tenant, status, amount, currency FROM payments"
                    + " WHERE provider_intent = ANY($1::text[]) OR provider_ref = ANY($1::text[])"
                    + " ORDER BY payment_id LIMIT 2 FOR NO KEY UPDATE";

    /** A payment as an event's application sees it, locked in its transaction. */
    public record Locked(String paymentId, String tenant, String status, long amount, String currency) {}

    /**
     * Locks the one payment that {@code paymentId} (if not null) or else {@code providerIds} name, in
     * {@code conn}'s transaction; empty when none, or when the provider's ids name more than one.
     */
    public static Future<java.util.Optional<Locked>> lockForEvent(
            SqlConnection conn, String paymentId, List<String> providerIds) {
        Future<RowSet<Row>> rows;
        if (paymentId != null) {
            rows = conn.preparedQuery(LOCK_BY_ID).execute(Tuple.of(paymentId));
        } else if (!providerIds.isEmpty()) {
            rows = conn.preparedQuery(LOCK_BY_PROVIDER_IDS)
                    .execute(Tuple.of((Object) providerIds.toArray(String[]::new)));
        } else {
            return Future.succeededFuture(java.util.Optional.empty());
        }
        return rows.map(rs -> {
            if (rs.size() != 1) {
                return java.util.Optional.empty();
            }
            Row r = rs.iterator().next();
            return java.util.Optional.of(new Locked(
                    r.getString(0),
                    r.getString(1),
                    r.getString(2),
                    r.getLong(3),
                    r.getString(4).trim()));
        });
    }

    /**
     * Decides {@code paymentId} from an event in {@code conn}'s transaction (see {@link
     * #DECIDE_BY_EVENT}): the stored row if this decided it, empty if it was already final.
     */
    public static Future<java.util.Optional<StoredPayment>> decideByEvent(
            SqlConnection conn, String paymentId, boolean succeeded, String providerRef, String failureCode) {
        return conn.preparedQuery(DECIDE_BY_EVENT)
                .execute(Tuple.of(
                        paymentId, succeeded ? "succeeded" : "failed", providerRef, succeeded ? null : failureCode))
                .map(rows -> byId(rows).values().stream().findFirst());
    }

    private final Pool pool;

    public LedgerStore(Pool pool) {
        this.pool = pool;
    }

    /**
     * The payments in {@code charging} since longer than {@code stuckAfterMs} ago, up to {@link
     * #STUCK_COUNTED_MAX}: the stuck-payment gauge's count.
     */
    public Future<Long> stuckCount(long stuckAfterMs) {
        return pool.preparedQuery(STUCK)
                .execute(Tuple.of((double) stuckAfterMs / 1000.0, STUCK_COUNTED_MAX))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /**
     * The billing events of those of {@code paymentIds} that are decided, rebuilt from their rows
     * (description and metadata are not kept: a re-driven record only re-emits the stored outcome).
     */
    public Future<List<PaymentEvent>> decidedEvents(Set<String> paymentIds) {
        return pool.preparedQuery(DECIDED_EVENTS)
                .execute(Tuple.of((Object) paymentIds.toArray(String[]::new)))
                .map(LedgerStore::rebuilt);
    }

    /**
     * The billing events of those of {@code paymentIds} the ledger holds, decided or not, rebuilt as
     * {@link #decidedEvents} rebuilds them, read over {@code client}: reconciliation's re-drive, in its
     * own session.
     */
    public static Future<List<PaymentEvent>> events(SqlClient client, List<String> paymentIds) {
        return client.preparedQuery(EVENTS)
                .execute(Tuple.of((Object) paymentIds.toArray(String[]::new)))
                .map(LedgerStore::rebuilt);
    }

    private static List<PaymentEvent> rebuilt(RowSet<Row> rows) {
        List<PaymentEvent> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new PaymentEvent(
                    r.getString(0),
                    r.getString(1),
                    r.getString(2),
                    r.getString(3),
                    r.getLong(4),
                    r.getString(5).trim(),
                    r.getString(6),
                    r.getString(7),
                    "",
                    Map.of(),
                    r.getLong(8)));
        }
        return out;
    }

    /**
     * Locks {@code paymentIds} (sorted) in {@code conn}'s transaction, for a batch of refunds of them:
     * rows of (payment_id, tenant, status, amount, currency, provider_ref), in payment id order.
     */
    public static Future<RowSet<Row>> lockForRefunds(SqlConnection conn, String[] paymentIds) {
        return conn.preparedQuery(LOCK_FOR_REFUNDS).execute(Tuple.of((Object) paymentIds));
    }

    /**
     * A provider's answer about one payment, as the ledger stores it: an {@link Outcome} or an {@link
     * Open} charge. The ledger knows no provider: the orchestrator translates the answers.
     */
    public sealed interface Answer permits Outcome, Open {
        String paymentId();
    }

    /** A final answer: {@code status} succeeded or failed, with its ledger entry if it succeeded. */
    public record Outcome(String paymentId, PaymentStatus status, String providerRef, String failureCode, String intent)
            implements Answer {}

    /** An answer that decides nothing yet: the row stays charging, with what to ask about and {@code why}. */
    public record Open(String paymentId, String intent, String why) implements Answer {}

    /**
     * What the ledger holds of {@code paymentIds}, by id: one read, nothing written. A new payment has
     * no row until its answer is recorded by {@link #record}.
     */
    public Future<Map<String, StoredPayment>> stored(List<String> paymentIds) {
        if (paymentIds.isEmpty()) {
            return Future.succeededFuture(Map.of());
        }
        return pool.preparedQuery(LOAD)
                .execute(Tuple.of((Object) paymentIds.toArray(String[]::new)))
                .map(LedgerStore::byId);
    }

    /**
     * Before the provider is asked again about unfinished rows ({@code replayIds}): marks them
     * {@code charging} again, attempts counted, and records {@code conflicts}, in one transaction
     * committed before this future completes. Returns the provider's object to ask about for each
     * replay an earlier answer left undecided. Writes nothing when both are empty (the common case).
     */
    public Future<Map<String, String>> markReplays(List<String> replayIds, List<Plan.Conflict> conflicts) {
        Map<String, String> intents = new HashMap<>();
        if (replayIds.isEmpty() && conflicts.isEmpty()) {
            return Future.succeededFuture(intents);
        }
        return pool.withTransaction(
                        conn -> markCharging(conn, replayIds, intents).compose(v -> recordConflicts(conn, conflicts)))
                .map(v -> intents);
    }

    /**
     * Records the provider's answers in one statement (one round trip, one commit): each payment's row
     * is inserted or updated with its answer, final ones as outcomes with their ledger entry,
     * undecided ones as what to ask about later. {@code records} are the batch's records the answers
     * are about (a new payment's row is written from its event). Returns the stored outcomes to emit.
     */
    public Future<List<StoredPayment>> record(List<InputRecord> records, List<Answer> answers) {
        if (answers.isEmpty()) {
            return Future.succeededFuture(new ArrayList<>());
        }
        Map<String, InputRecord> byPayment = new HashMap<>();
        for (InputRecord r : records) {
            byPayment.putIfAbsent(r.event().paymentId(), r);
        }
        return recordOutcomes(pool, byPayment, answers);
    }

    /** Marks the replays {@code charging} again; collects the provider intents an earlier answer left. */
    private static Future<Void> markCharging(SqlConnection conn, List<String> replayIds, Map<String, String> intents) {
        if (replayIds.isEmpty()) {
            return Future.succeededFuture();
        }
        return conn.preparedQuery(MARK_CHARGING)
                .execute(Tuple.of((Object) replayIds.toArray(String[]::new)))
                .map(rows -> {
                    for (Row r : rows) {
                        if (r.getString(1) != null) {
                            intents.put(r.getString(0), r.getString(1));
                        }
                    }
                    return null;
                });
    }

    private static Future<Void> recordConflicts(io.vertx.sqlclient.SqlClient conn, List<Plan.Conflict> conflicts) {
        if (conflicts.isEmpty()) {
            return Future.succeededFuture();
        }
        int n = conflicts.size();
        String[] tenants = new String[n],
                keys = new String[n],
                ids = new String[n],
                stored = new String[n],
                seen = new String[n];
        Integer[] parts = new Integer[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            Plan.Conflict c = conflicts.get(i);
            tenants[i] = c.record().event().tenant();
            keys[i] = c.record().event().idempotencyKey();
            ids[i] = c.record().event().paymentId();
            stored[i] = c.storedHash();
            seen[i] = c.record().event().requestHash();
            parts[i] = c.record().partition();
            offsets[i] = c.record().offset();
        }
        return conn.preparedQuery(RECORD_CONFLICTS)
                .execute(Tuple.wrap(new Object[] {tenants, keys, ids, stored, seen, parts, offsets}))
                .mapEmpty();
    }

    /**
     * Upserts every answer's row, with its ledger entry if it succeeded; returns only the outcomes to
     * emit. Whatever is stored after the statement is the truth to emit, even if another instance
     * decided first.
     */
    private static Future<List<StoredPayment>> recordOutcomes(
            io.vertx.sqlclient.SqlClient client, Map<String, InputRecord> records, List<Answer> answers) {
        int n = answers.size();
        String[] ids = new String[n],
                tenants = new String[n],
                keys = new String[n],
                hashes = new String[n],
                currencies = new String[n],
                customers = new String[n],
                methods = new String[n],
                statuses = new String[n],
                refs = new String[n],
                codes = new String[n],
                intents = new String[n],
                whys = new String[n];
        Long[] amounts = new Long[n], offsets = new Long[n], accepted = new Long[n];
        Integer[] parts = new Integer[n];
        for (int i = 0; i < n; i++) {
            Answer a = answers.get(i);
            InputRecord r = records.get(a.paymentId());
            if (r == null) {
                return Future.failedFuture(
                        new IllegalStateException("an answer about payment " + a.paymentId() + " without its record"));
            }
            ids[i] = a.paymentId();
            tenants[i] = r.event().tenant();
            keys[i] = r.event().idempotencyKey();
            hashes[i] = r.event().requestHash();
            amounts[i] = r.event().amount();
            currencies[i] = r.event().currency();
            customers[i] = r.event().customerId();
            methods[i] = r.event().paymentMethod();
            parts[i] = r.partition();
            offsets[i] = r.offset();
            accepted[i] = r.event().acceptedAtMs();
            if (a instanceof Outcome o) {
                statuses[i] = o.status().wire();
                refs[i] = o.providerRef();
                codes[i] = o.failureCode();
                intents[i] = o.intent();
            } else {
                Open open = (Open) a;
                statuses[i] = "charging";
                intents[i] = open.intent();
                whys[i] = open.why();
            }
        }
        return client.preparedQuery(RECORD)
                .execute(Tuple.wrap(new Object[] {
                    ids,
                    tenants,
                    keys,
                    hashes,
                    amounts,
                    currencies,
                    customers,
                    methods,
                    parts,
                    offsets,
                    accepted,
                    statuses,
                    refs,
                    codes,
                    intents,
                    whys
                }))
                .map(rows -> new ArrayList<>(byId(rows).values().stream()
                        .filter(p -> p.status().isFinal())
                        .toList()));
    }

    private static Map<String, StoredPayment> byId(RowSet<Row> rows) {
        Map<String, StoredPayment> out = new HashMap<>();
        for (Row r : rows) {
            StoredPayment s = new StoredPayment(
                    r.getString(0),
                    r.getString(1),
                    r.getString(2),
                    r.getString(3),
                    r.getLong(4),
                    r.getString(5),
                    PaymentStatus.fromWire(r.getString(6)),
                    r.getInteger(7),
                    r.getLong(8),
                    r.getString(9),
                    r.getString(10),
                    r.getLong(11));
            out.put(s.paymentId(), s);
        }
        return out;
    }
}
