package com.streamsocial.billing.gateway.store;

import com.streamsocial.billing.gateway.dedup.LaneMarks;
import com.streamsocial.billing.gateway.dedup.Reservation;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's side of the idempotency table in PostgreSQL. Each call is one statement for a whole
 * batch (arrays and {@code unnest}), so the cost per request falls as batches grow.
 */
public final class IntentStore {
    /**
     * Writes the lane's ranges of committed batches ($9 and $10: their first and last batch numbers; see
     * {@code LaneMarks} and V11__lane_commits.sql); opens each reservation's WITH. A range grows in place.
     */
    private static final String MARKED = """
            WITH marked AS (
                INSERT INTO lane_commits AS c (owner_run, owner_lane, from_batch, to_batch)
                SELECT $8, $7, m.from_batch, m.to_batch FROM unnest($9::bigint[], $10::bigint[]) AS m(from_batch, to_batch)
                ON CONFLICT (owner_run, owner_lane, from_batch)
                    DO UPDATE SET to_batch = greatest(c.to_batch, EXCLUDED.to_batch), committed_at = now()
            ), input AS (""";

    /** The reservation's insert of the batch's rows, as {@code reserved} by this lane of this run, in batch $11. */
    private static final String INSERT_RESERVED = """
                INSERT INTO payment_intents (payment_id, tenant, idempotency_key, request_hash, request, state, reserved_at,
                                             owner_instance, owner_lane, owner_run, owner_batch)
                SELECT payment_id, tenant, idempotency_key, request_hash, request, 'reserved', now(), $6, $7, $8, $11
                FROM input""";

    /** The answer's common columns: the id, whether it was inserted, the stored intent and payment. */
    private static final String ANSWER_COLUMNS = """
            SELECT input.payment_id,
                   ins.payment_id IS NOT NULL AS inserted,
                   i.request_hash, i.state,
                   (extract(epoch FROM now() - i.reserved_at) * 1000)::bigint AS age_ms,
                   p.status, p.failure_code,""";

    /** The stored intent and payment, read only for an id the insert skipped (see below why LATERAL). */
    private static final String ANSWER_SOURCES = """
            FROM input
            LEFT JOIN ins ON ins.payment_id = input.payment_id
            LEFT JOIN LATERAL (SELECT i.request_hash, i.reserved_at,
                                      CASE WHEN intent_accepted(i.state, i.owner_run, i.owner_lane, i.owner_batch)
                                           THEN 'accepted' ELSE 'reserved' END AS state
                               FROM payment_intents i
                               WHERE ins.payment_id IS NULL AND i.payment_id = input.payment_id) i ON true
            LEFT JOIN LATERAL (SELECT p.status, p.failure_code FROM payments p
                               WHERE ins.payment_id IS NULL AND p.payment_id = input.payment_id) p ON true""";

    /** The statement with its fragments in place; {@code owned} is the ownership step, if any. */
    private static String reservation(String template, String owned) {
        return template.formatted(
                MARKED.stripTrailing(),
                INSERT_RESERVED.stripTrailing(),
                ANSWER_COLUMNS.stripTrailing(),
                ANSWER_SOURCES.stripTrailing(),
                owned);
    }

    /**
     * Reserves every id that is free and reports the rows that were already there, in one round trip.
     * The same statement writes the lane's ranges of earlier batches that Kafka committed ($9, $10),
     * which makes their reservations accepted: the gateway's one PostgreSQL write per batch on the hot
     * path, and no row of a payment written twice. Its SELECT still sees those rows as
     * reserved (one snapshot), which the caller knows. The stored row and the processor's row are
     * read only for an id the insert skipped: as LATERAL subqueries gated on that, because a
     * condition on {@code ins} in a LEFT JOIN's ON clause is only a join filter, applied after both
     * index probes (EXPLAIN ANALYZE showed 64 probes of each index for 64 new ids, about half the
     * statement's buffer reads; docs/BENCHMARKS.md).
     *
     * <p>It also checks ownership (issue 19 §1): $12 and $13 are the customer and payment method each
     * request claims (null when its lane already knows them as its tenant's). {@code owned} answers
     * their owners; a request is inserted only if its tenant owns every id it claims, so a payment
     * with another tenant's customer is never reserved nor published. Claims are deduplicated, the
     * first request of the batch winning, and taken in (kind, id) order, so concurrent batches lock
     * owner rows in one order.
     */
    private static final String RESERVE_TEMPLATE = """
            %1$s
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $12::text[], $13::text[])
                    WITH ORDINALITY
                    AS t(payment_id, tenant, idempotency_key, request_hash, request, customer_claim, method_claim, ord)
            ), claims AS (
                SELECT DISTINCT ON (kind, id) kind, id, tenant
                FROM (SELECT 'customer' AS kind, customer_claim AS id, tenant, ord FROM input
                      WHERE customer_claim IS NOT NULL
                      UNION ALL
                      SELECT 'payment_method', method_claim, tenant, ord FROM input
                      WHERE method_claim IS NOT NULL) c
                ORDER BY kind, id, ord
            ), owned AS (
                %5$s
            ), ins AS (
            %2$s
                WHERE (customer_claim IS NULL OR EXISTS (SELECT 1 FROM owned o WHERE o.kind = 'customer'
                           AND o.id = input.customer_claim AND o.tenant = input.tenant))
                  AND (method_claim IS NULL OR EXISTS (SELECT 1 FROM owned o WHERE o.kind = 'payment_method'
                           AND o.id = input.method_claim AND o.tenant = input.tenant))
                ON CONFLICT (payment_id) DO NOTHING
                RETURNING payment_id
            )
            %3$s
                   co.tenant, mo.tenant
            %4$s
            LEFT JOIN owned co ON co.kind = 'customer' AND co.id = input.customer_claim
            LEFT JOIN owned mo ON mo.kind = 'payment_method' AND mo.id = input.method_claim
            """;

    /**
     * First use registers: an unowned id goes to the claiming tenant. The no-op update on conflict
     * returns the owner even when another statement registered it after this one's snapshot (an
     * ON CONFLICT DO UPDATE locks and reads the latest committed row), so two tenants claiming one id
     * at once end with one owner and both learn who. It writes only for ids the lane has not cached.
     */
    static final String RESERVE_FIRST_USE = reservation(RESERVE_TEMPLATE, """
            INSERT INTO owners AS o (kind, id, tenant, registered_by)
                SELECT kind, id, tenant, 'first_use' FROM claims
                ON CONFLICT (kind, id) DO UPDATE SET tenant = o.tenant
                RETURNING o.kind, o.id, o.tenant""");

    /** Explicit registration only: an unregistered id has no owner, and its payment is refused. */
    static final String RESERVE_REGISTERED_ONLY = reservation(RESERVE_TEMPLATE, """
            SELECT o.kind, o.id, o.tenant FROM owners o JOIN claims c ON c.kind = o.kind AND c.id = o.id""");

    /**
     * The batch whose every customer and payment method its lane already knows as its tenant's (the
     * steady state: ownership never changes) claims nothing, and has nothing to check: the statement
     * without the ownership steps, and with the same columns. The yardstick measured the statement
     * with them at 5.3 ms a batch of 64 against 2.6 ms before the registry, with every claim null
     * (docs/BENCHMARKS.md, 2026-12-06 evening).
     */
    static final String RESERVE_NO_CLAIMS = reservation("""
            %1$s
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS t(payment_id, tenant, idempotency_key, request_hash, request)
            ), ins AS (
            %2$s
                ON CONFLICT (payment_id) DO NOTHING
                RETURNING payment_id
            )
            %3$s
                   NULL::text, NULL::text
            %4$s
            """, "");

    /**
     * Takes over reservations abandoned longer than the timeout, into batch $6 of the taker; the age
     * check makes one taker win, and a reservation a range of its lane covers is accepted: never taken.
     */
    private static final String TAKE_OVER = """
            UPDATE payment_intents
            SET reserved_at = now(), owner_instance = $3, owner_lane = $4, owner_run = $5, owner_batch = $6
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved'
              AND NOT intent_accepted(state, owner_run, owner_lane, owner_batch)
              AND reserved_at <= now() - make_interval(secs => $2::double precision / 1000)
            RETURNING payment_id
            """;

    /** The lane's ranges alone ($3, $4), when no batch is there to carry them. */
    private static final String MARK_ACCEPTED = """
            INSERT INTO lane_commits AS c (owner_run, owner_lane, from_batch, to_batch)
            SELECT $1, $2, m.from_batch, m.to_batch FROM unnest($3::bigint[], $4::bigint[]) AS m(from_batch, to_batch)
            ON CONFLICT (owner_run, owner_lane, from_batch)
                DO UPDATE SET to_batch = greatest(c.to_batch, EXCLUDED.to_batch), committed_at = now()
            """;

    /** Only reservations this lane of this run still holds: never another holder's, after a takeover. */
    private static final String RELEASE = """
            DELETE FROM payment_intents
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_lane = $2 AND owner_run = $3
              AND NOT intent_accepted(state, owner_run, owner_lane, owner_batch)
            """;

    /** Open reservations left by earlier runs of an instance, oldest first. */
    private static final String OPEN_OF_EARLIER_RUNS = """
            SELECT payment_id, (extract(epoch FROM reserved_at) * 1000)::bigint
            FROM payment_intents
            WHERE state = 'reserved' AND owner_instance = $1 AND owner_run <> $2
              AND NOT intent_accepted(state, owner_run, owner_lane, owner_batch)
            ORDER BY reserved_at
            LIMIT $3
            """;

    private static final String SETTLE_ACCEPTED = """
            UPDATE payment_intents SET state = 'accepted', accepted_at = now()
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_instance = $2 AND owner_run <> $3
            """;

    private static final String SETTLE_RELEASED = """
            DELETE FROM payment_intents
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_instance = $2 AND owner_run <> $3
              AND NOT intent_accepted(state, owner_run, owner_lane, owner_batch)
            """;

    /** Reservations this lane of this run holds, whose transaction turned out published. */
    private static final String SETTLE_HELD_ACCEPTED = """
            UPDATE payment_intents SET state = 'accepted', accepted_at = now()
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_lane = $2 AND owner_run = $3
            """;

    private static final String FIND = """
            SELECT i.request,
                   CASE WHEN intent_accepted(i.state, i.owner_run, i.owner_lane, i.owner_batch)
                        THEN 'accepted' ELSE 'reserved' END,
                   i.idempotency_key, i.reserved_at, p.status, p.failure_code
            FROM payment_intents i LEFT JOIN payments p ON p.payment_id = i.payment_id
            WHERE i.payment_id = $1 AND i.tenant = $2
            """;

    /** A payment as the gateway reports it. {@code ledgerStatus} is null until the processor records it. */
    public record StoredPayment(
            String request, String intentState, String idempotencyKey, String ledgerStatus, String failureCode) {}

    /**
     * Who reserves through this store: the instance, the lane's transactional id and this process's
     * run id. A restarted instance settles what its earlier runs left open; see {@link #openOfEarlierRuns}.
     */
    public record Owner(String instance, String lane, String run) {}

    /** A reservation left open by an earlier run, with when it was reserved (epoch ms, PostgreSQL clock). */
    public record OpenReservation(String paymentId, long reservedAtMs) {}

    private final Pool pool;
    private final Owner owner;
    private final String reserve;

    /** A store whose reservations register unowned ids on first use (the default). */
    public IntentStore(Pool pool, Owner owner) {
        this(pool, owner, true);
    }

    /** {@code firstUse}: a payment registers the unowned ids it uses; false, only registration does. */
    public IntentStore(Pool pool, Owner owner, boolean firstUse) {
        this.pool = pool;
        this.owner = owner;
        this.reserve = firstUse ? RESERVE_FIRST_USE : RESERVE_REGISTERED_ONLY;
    }

    /** Reserves the batch's ids claiming no ownership (the ids known as their tenants' already). */
    public Future<List<Reservation>> reserve(
            List<PaymentRequest> batch, long batchNumber, List<LaneMarks.Range> marks) {
        return reserve(batch, new String[batch.size()], new String[batch.size()], batchNumber, marks);
    }

    /**
     * Reserves the batch's ids as batch {@code batchNumber} of this lane, and writes {@code marks} (the
     * lane's ranges of batches committed to Kafka) in the same statement. {@code customerClaims[i]} and
     * {@code methodClaims[i]}: the ids request {@code i} claims for its tenant, or null; a request whose
     * tenant does not own one of them is not reserved (see {@link Reservation#customerOwner()}).
     */
    public Future<List<Reservation>> reserve(
            List<PaymentRequest> batch,
            String[] customerClaims,
            String[] methodClaims,
            long batchNumber,
            List<LaneMarks.Range> marks) {
        int n = batch.size();
        String[] ids = new String[n],
                tenants = new String[n],
                keys = new String[n],
                hashes = new String[n],
                requests = new String[n];
        for (int i = 0; i < n; i++) {
            PaymentRequest r = batch.get(i);
            ids[i] = r.paymentId();
            tenants[i] = r.tenant();
            keys[i] = r.idempotencyKey();
            hashes[i] = r.fingerprint();
            requests[i] = r.canonical();
        }
        List<Object> params = new ArrayList<>(List.<Object>of(
                ids,
                tenants,
                keys,
                hashes,
                requests,
                owner.instance(),
                owner.lane(),
                owner.run(),
                froms(marks),
                tos(marks),
                batchNumber));
        boolean claims = hasAny(customerClaims) || hasAny(methodClaims);
        if (claims) {
            params.add(customerClaims);
            params.add(methodClaims);
        }
        return pool.preparedQuery(claims ? reserve : RESERVE_NO_CLAIMS)
                .execute(Tuple.from(params))
                .map(rows -> {
                    Map<String, Reservation> byId = new HashMap<>(n * 2);
                    for (Row row : rows) {
                        Reservation r = new Reservation(
                                row.getString(0),
                                row.getBoolean(1),
                                row.getString(2),
                                row.getString(3),
                                row.getLong(4) == null ? 0 : row.getLong(4),
                                row.getString(5),
                                row.getString(6),
                                row.getString(7),
                                row.getString(8));
                        byId.put(r.paymentId(), r);
                    }
                    List<Reservation> out = new ArrayList<>(n);
                    for (PaymentRequest r : batch) {
                        out.add(byId.get(r.paymentId()));
                    }
                    return out;
                });
    }

    private static Long[] froms(List<LaneMarks.Range> marks) {
        return marks.stream().map(LaneMarks.Range::fromBatch).toArray(Long[]::new);
    }

    private static Long[] tos(List<LaneMarks.Range> marks) {
        return marks.stream().map(LaneMarks.Range::toBatch).toArray(Long[]::new);
    }

    private static boolean hasAny(String[] claims) {
        for (String c : claims) {
            if (c != null) {
                return true;
            }
        }
        return false;
    }

    /** Takes over the stale reservations of {@code paymentIds} into this lane's batch {@code batchNumber}. */
    public Future<List<String>> takeOver(List<String> paymentIds, long reservationTimeoutMs, long batchNumber) {
        return pool.preparedQuery(TAKE_OVER)
                .execute(Tuple.of(
                        paymentIds.toArray(String[]::new),
                        (double) reservationTimeoutMs,
                        owner.instance(),
                        owner.lane(),
                        owner.run(),
                        batchNumber))
                .map(rows -> {
                    List<String> won = new ArrayList<>();
                    rows.forEach(r -> won.add(r.getString(0)));
                    return won;
                });
    }

    /** Writes this lane's ranges of committed batches on their own. */
    public Future<Void> markAccepted(List<LaneMarks.Range> marks) {
        return pool.preparedQuery(MARK_ACCEPTED)
                .execute(Tuple.of(owner.run(), owner.lane(), froms(marks), tos(marks)))
                .mapEmpty();
    }

    /** Gives back reservations this lane holds and knows were never published. */
    public Future<Void> release(List<String> paymentIds) {
        return pool.preparedQuery(RELEASE)
                .execute(Tuple.of(paymentIds.toArray(String[]::new), owner.lane(), owner.run()))
                .mapEmpty();
    }

    /** At most {@code limit} open reservations of this instance's earlier runs, oldest first. */
    public Future<List<OpenReservation>> openOfEarlierRuns(int limit) {
        return pool.preparedQuery(OPEN_OF_EARLIER_RUNS)
                .execute(Tuple.of(owner.instance(), owner.run(), limit))
                .map(rows -> {
                    List<OpenReservation> out = new ArrayList<>(rows.size());
                    rows.forEach(r -> out.add(new OpenReservation(r.getString(0), r.getLong(1))));
                    return out;
                });
    }

    /**
     * Settles reservations of earlier runs in one transaction: {@code published} ones are marked
     * accepted, {@code unpublished} ones deleted. A row another instance took over meanwhile no longer
     * matches the owner and is left alone.
     */
    public Future<Void> settleEarlierRuns(List<String> published, List<String> unpublished) {
        return pool.withTransaction(conn -> conn.preparedQuery(SETTLE_ACCEPTED)
                .execute(Tuple.of(published.toArray(String[]::new), owner.instance(), owner.run()))
                .compose(ignored -> conn.preparedQuery(SETTLE_RELEASED)
                        .execute(Tuple.of(unpublished.toArray(String[]::new), owner.instance(), owner.run())))
                .mapEmpty());
    }

    /**
     * Settles reservations this lane of this run holds, in one transaction: {@code published} ones are
     * marked accepted, {@code unpublished} ones deleted. A row another holder took over meanwhile no
     * longer matches the owner and is left alone.
     */
    public Future<Void> settleHeld(List<String> published, List<String> unpublished) {
        return pool.withTransaction(conn -> conn.preparedQuery(SETTLE_HELD_ACCEPTED)
                .execute(Tuple.of(published.toArray(String[]::new), owner.lane(), owner.run()))
                .compose(ignored -> conn.preparedQuery(RELEASE)
                        .execute(Tuple.of(unpublished.toArray(String[]::new), owner.lane(), owner.run())))
                .mapEmpty());
    }

    /**
     * The payment with this id if it belongs to {@code tenant}; another tenant's payment is not found,
     * exactly like one that does not exist, so an answer tells nothing about other tenants.
     */
    public Future<Optional<StoredPayment>> find(String paymentId, String tenant) {
        return pool.preparedQuery(FIND).execute(Tuple.of(paymentId, tenant)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row r = rows.iterator().next();
            return Optional.of(
                    new StoredPayment(r.getString(0), r.getString(1), r.getString(2), r.getString(4), r.getString(5)));
        });
    }

    public Future<Void> ping() {
        return pool.query("SELECT 1").execute().mapEmpty();
    }
}
