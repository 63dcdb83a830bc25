package com.streamsocial.billing.processor.store;

import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.dedup.BatchPlanner;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.Plan;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The processor's idempotency table and ledger in PostgreSQL. Every statement covers a whole polled
 * batch through arrays and {@code unnest}: there is no round trip per record.
 *
 * <p>Two transactions per batch bracket the provider call (which {@code BatchOrchestrator} makes;
 * this store never calls the provider), so that a crash at any point leaves a recovery point: rows are {@code charging} (with attempts counted) before the provider is called,
 * and final, with their ledger entry, after it answers. A new payment is inserted {@code charging}
 * directly (one row write); {@code claimed} is only found in rows written by earlier versions.
 */
public final class LedgerStore {
    private static final String CLAIM = """
            INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                                  customer_id, payment_method, status, attempts, last_attempt_at,
                                  source_partition, source_offset, accepted_at)
            SELECT t.tenant, t.key, t.id, t.hash, t.amount, t.currency, t.customer, t.method, 'charging', 1, now(),
                   t.part, t.off, to_timestamp(t.accepted_ms / 1000.0)
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                        $8::text[], $9::int[], $10::bigint[], $11::bigint[])
                 AS t(tenant, key, id, hash, amount, currency, customer, method, part, off, accepted_ms)
            ON CONFLICT DO NOTHING
            RETURNING payment_id
            """;

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
     * A batch's answers in one statement, so one round trip and one commit: final ones ($1..$5) become
     * outcomes with their ledger entry; undecided ones ($6..$8: pending, or a mismatch) keep the row
     * charging with what to ask about and why. It returns what is stored for every final answer: the
     * rows it updated as updated, and the others (decided first by another instance) as they were.
     * Only those others are looked up again: the array of ids left over is empty in the common case,
     * so the read-back costs no index probe (before, every id of the batch was probed a second time).
     */
    private static final String RECORD = """
            WITH o AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS t(id, status, provider_ref, failure_code, intent)
            ), upd AS (
                UPDATE payments p SET status = o.status, provider_ref = o.provider_ref,
                                      failure_code = o.failure_code, decided_at = now(),
                                      provider_intent = coalesce(o.intent, p.provider_intent), provider_status = NULL
                FROM o WHERE p.payment_id = o.id AND p.status IN ('claimed', 'charging')
                RETURNING p.*
            ), led AS (
                INSERT INTO ledger_entries (payment_id, kind, amount, currency)
                SELECT payment_id, 'charge', amount, currency FROM upd WHERE status = 'succeeded'
                ON CONFLICT (payment_id) WHERE kind = 'charge' DO NOTHING
            ), undecided AS (
                UPDATE payments p SET provider_intent = t.intent, provider_status = t.why
                FROM unnest($6::text[], $7::text[], $8::text[]) AS t(id, intent, why)
                WHERE p.payment_id = t.id AND p.status = 'charging'
            )
            SELECT %1$s FROM upd
            UNION ALL
            SELECT %1$s FROM payments
            WHERE payment_id = ANY(ARRAY(SELECT id FROM o EXCEPT SELECT payment_id FROM upd))
            """.formatted(STORED_COLUMNS);

    private static final String RECORD_CONFLICTS = """
            INSERT INTO idempotency_conflicts (tenant, idempotency_key, payment_id, stored_hash, conflicting_hash,
                                               source_partition, source_offset)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
            ON CONFLICT (source_partition, source_offset) DO NOTHING
            """;

    /** The billing event of each decided payment, as the ledger holds it (a re-drive sends it again). */
    private static final String DECIDED_EVENTS = """
            SELECT p.payment_id, p.tenant, p.idempotency_key, p.request_hash, p.amount, p.currency,
                   p.customer_id, p.payment_method, (extract(epoch FROM p.accepted_at) * 1000)::bigint
            FROM payments p WHERE p.payment_id = ANY($1::text[]) AND p.status IN ('succeeded', 'failed')
            """;

    private final Pool pool;

    public LedgerStore(Pool pool) {
        this.pool = pool;
    }

    /**
     * The billing events of those of {@code paymentIds} that are decided, rebuilt from their rows
     * (description and metadata are not kept: a re-driven record only re-emits the stored outcome).
     */
    public Future<List<com.streamsocial.billing.events.PaymentEvent>> decidedEvents(Set<String> paymentIds) {
        return pool.preparedQuery(DECIDED_EVENTS)
                .execute(Tuple.of((Object) paymentIds.toArray(String[]::new)))
                .map(rows -> {
                    List<com.streamsocial.billing.events.PaymentEvent> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(new com.streamsocial.billing.events.PaymentEvent(
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
                });
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
     * A batch's claim: its plan, and for each payment to charge whose earlier answer was not final,
     * the provider's object to ask about instead of creating a new one.
     */
    public record Claim(Plan plan, Map<String, String> intents) {}

    /**
     * Plans a batch and claims its new payments ({@code charging}, committed before this future
     * completes, so that a crash after it leaves a recovery point). The claim commits on its own, in
     * one round trip: when every candidate is new (the common case) nothing else is written. Rows it
     * did not insert are then loaded, and replays marked, in one transaction. A crash between the two
     * re-reads the batch, and the planner sees the committed claims as this very record's: a replay.
     */
    public Future<Claim> claim(List<InputRecord> batch) {
        Map<String, String> intents = new HashMap<>();
        List<InputRecord> candidates = BatchPlanner.claimCandidates(batch);
        if (candidates.isEmpty()) {
            return Future.succeededFuture(new Claim(BatchPlanner.plan(batch, Set.of(), Map.of()), intents));
        }
        return pool.preparedQuery(CLAIM).execute(claimTuple(candidates)).compose(inserted -> {
            Set<String> insertedIds = new HashSet<>();
            inserted.forEach(r -> insertedIds.add(r.getString(0)));
            List<String> others = candidates.stream()
                    .map(r -> r.event().paymentId())
                    .filter(id -> !insertedIds.contains(id))
                    .toList();
            if (others.isEmpty()) {
                Plan plan = BatchPlanner.plan(batch, insertedIds, Map.of());
                return recordConflicts(pool, plan).map(v -> new Claim(plan, intents));
            }
            return pool.withTransaction(conn -> conn.preparedQuery(LOAD)
                            .execute(Tuple.of((Object) others.toArray(String[]::new)))
                            .map(LedgerStore::byId)
                            .compose(rows -> {
                                Plan plan = BatchPlanner.plan(batch, insertedIds, rows);
                                return markCharging(conn, plan, insertedIds, intents)
                                        .compose(v -> recordConflicts(conn, plan))
                                        .map(plan);
                            }))
                    .map(plan -> new Claim(plan, intents));
        });
    }

    /**
     * Records the provider's answers in one statement (one round trip, one commit): final ones as
     * outcomes with their ledger entry, undecided ones as what to ask about later. Returns the stored
     * outcomes to emit.
     */
    public Future<List<StoredPayment>> record(List<Answer> answers) {
        if (answers.isEmpty()) {
            return Future.succeededFuture(new ArrayList<>());
        }
        return recordOutcomes(pool, answers);
    }

    /**
     * Rows this batch inserted are already {@code charging} (the claim writes them so, one row write
     * instead of an insert and an update); only the replays of unfinished rows are marked here, and
     * their provider intents, if an earlier answer was not final, are collected into {@code intents}.
     */
    private static Future<Void> markCharging(
            SqlConnection conn, Plan plan, Set<String> insertedIds, Map<String, String> intents) {
        String[] ids = plan.toProcess().stream()
                .map(r -> r.event().paymentId())
                .filter(id -> !insertedIds.contains(id))
                .toArray(String[]::new);
        if (ids.length == 0) {
            return Future.succeededFuture();
        }
        return conn.preparedQuery(MARK_CHARGING).execute(Tuple.of((Object) ids)).map(rows -> {
            for (Row r : rows) {
                if (r.getString(1) != null) {
                    intents.put(r.getString(0), r.getString(1));
                }
            }
            return null;
        });
    }

    private static Future<Void> recordConflicts(io.vertx.sqlclient.SqlClient conn, Plan plan) {
        if (plan.conflicts().isEmpty()) {
            return Future.succeededFuture();
        }
        int n = plan.conflicts().size();
        String[] tenants = new String[n],
                keys = new String[n],
                ids = new String[n],
                stored = new String[n],
                seen = new String[n];
        Integer[] parts = new Integer[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            Plan.Conflict c = plan.conflicts().get(i);
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
     * Records final answers as outcomes with their ledger entry, and undecided ones (pending, or a
     * mismatch) as the intent to ask about later; returns only the outcomes to emit. Whatever is
     * stored after the statement is the truth to emit, even if another instance decided first.
     */
    private static Future<List<StoredPayment>> recordOutcomes(
            io.vertx.sqlclient.SqlClient client, List<Answer> answers) {
        List<Outcome> decided = new ArrayList<>();
        List<Open> undecided = new ArrayList<>();
        for (Answer a : answers) {
            if (a instanceof Outcome o) {
                decided.add(o);
            } else {
                undecided.add((Open) a);
            }
        }
        int n = decided.size();
        String[] ids = new String[n],
                statuses = new String[n],
                refs = new String[n],
                codes = new String[n],
                intents = new String[n];
        for (int i = 0; i < n; i++) {
            Outcome o = decided.get(i);
            ids[i] = o.paymentId();
            statuses[i] = o.status().wire();
            refs[i] = o.providerRef();
            codes[i] = o.failureCode();
            intents[i] = o.intent();
        }
        String[] openIds = undecided.stream().map(Open::paymentId).toArray(String[]::new);
        String[] openIntents = undecided.stream().map(Open::intent).toArray(String[]::new);
        String[] openWhy = undecided.stream().map(Open::why).toArray(String[]::new);
        return client.preparedQuery(RECORD)
                .execute(Tuple.wrap(new Object[] {ids, statuses, refs, codes, intents, openIds, openIntents, openWhy}))
                .map(rows -> new ArrayList<>(byId(rows).values().stream()
                        .filter(p -> p.status().isFinal())
                        .toList()));
    }

    private static Tuple claimTuple(List<InputRecord> candidates) {
        int n = candidates.size();
        String[] tenants = new String[n],
                keys = new String[n],
                ids = new String[n],
                hashes = new String[n],
                currencies = new String[n],
                customers = new String[n],
                methods = new String[n];
        Long[] amounts = new Long[n], offsets = new Long[n], accepted = new Long[n];
        Integer[] parts = new Integer[n];
        for (int i = 0; i < n; i++) {
            InputRecord r = candidates.get(i);
            tenants[i] = r.event().tenant();
            keys[i] = r.event().idempotencyKey();
            ids[i] = r.event().paymentId();
            hashes[i] = r.event().requestHash();
            amounts[i] = r.event().amount();
            currencies[i] = r.event().currency();
            customers[i] = r.event().customerId();
            methods[i] = r.event().paymentMethod();
            parts[i] = r.partition();
            offsets[i] = r.offset();
            accepted[i] = r.event().acceptedAtMs();
        }
        return Tuple.wrap(new Object[] {
            tenants, keys, ids, hashes, amounts, currencies, customers, methods, parts, offsets, accepted
        });
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
