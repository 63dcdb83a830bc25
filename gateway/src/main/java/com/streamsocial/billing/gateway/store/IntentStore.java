package com.streamsocial.billing.gateway.store;

import com.streamsocial.billing.gateway.dedup.Reservation;
import com.streamsocial.billing.gateway.http.PaymentRequest;
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
     * Reserves every id that is free and reports the rows that were already there, in one round trip.
     * The same statement marks accepted the ids of earlier batches that Kafka committed ($9): the
     * gateway's one PostgreSQL write per batch on the hot path. Its SELECT still sees those rows as
     * reserved (one snapshot), which the caller knows.
     */
    private static final String RESERVE = """
            WITH marked AS (
                UPDATE payment_intents SET state = 'accepted', accepted_at = now()
                WHERE payment_id = ANY($9::text[]) AND state = 'reserved'
            ), input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS t(payment_id, tenant, idempotency_key, request_hash, request)
            ), ins AS (
                INSERT INTO payment_intents (payment_id, tenant, idempotency_key, request_hash, request, state, reserved_at,
                                             owner_instance, owner_lane, owner_run)
                SELECT payment_id, tenant, idempotency_key, request_hash, request, 'reserved', now(), $6, $7, $8
                FROM input
                ON CONFLICT (payment_id) DO NOTHING
                RETURNING payment_id
            )
            SELECT input.payment_id,
                   ins.payment_id IS NOT NULL AS inserted,
                   i.request_hash, i.state,
                   (extract(epoch FROM now() - i.reserved_at) * 1000)::bigint AS age_ms,
                   p.status, p.failure_code
            FROM input
            LEFT JOIN ins ON ins.payment_id = input.payment_id
            LEFT JOIN payment_intents i ON i.payment_id = input.payment_id AND ins.payment_id IS NULL
            LEFT JOIN payments p ON p.payment_id = input.payment_id AND ins.payment_id IS NULL
            """;

    /** Takes over reservations abandoned longer than the timeout; the age check makes one taker win. */
    private static final String TAKE_OVER = """
            UPDATE payment_intents SET reserved_at = now(), owner_instance = $3, owner_lane = $4, owner_run = $5
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved'
              AND reserved_at <= now() - make_interval(secs => $2::double precision / 1000)
            RETURNING payment_id
            """;

    private static final String MARK_ACCEPTED = """
            UPDATE payment_intents SET state = 'accepted', accepted_at = now()
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved'
            """;

    /** Only reservations this lane of this run still holds: never another holder's, after a takeover. */
    private static final String RELEASE = """
            DELETE FROM payment_intents
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_lane = $2 AND owner_run = $3
            """;

    /** Open reservations left by earlier runs of an instance, oldest first. */
    private static final String OPEN_OF_EARLIER_RUNS = """
            SELECT payment_id, (extract(epoch FROM reserved_at) * 1000)::bigint
            FROM payment_intents
            WHERE state = 'reserved' AND owner_instance = $1 AND owner_run <> $2
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
            """;

    /** Reservations this lane of this run holds, whose transaction turned out published. */
    private static final String SETTLE_HELD_ACCEPTED = """
            UPDATE payment_intents SET state = 'accepted', accepted_at = now()
            WHERE payment_id = ANY($1::text[]) AND state = 'reserved' AND owner_lane = $2 AND owner_run = $3
            """;

    private static final String FIND = """
            SELECT i.request, i.state, i.idempotency_key, i.reserved_at, p.status, p.failure_code
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

    public IntentStore(Pool pool, Owner owner) {
        this.pool = pool;
        this.owner = owner;
    }

    /**
     * Reserves the batch's ids, and marks {@code committedIds} (earlier batches of this lane, committed
     * to Kafka) accepted in the same statement.
     */
    public Future<List<Reservation>> reserve(List<PaymentRequest> batch, List<String> committedIds) {
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
        return pool.preparedQuery(RESERVE)
                .execute(Tuple.from(List.<Object>of(
                        ids,
                        tenants,
                        keys,
                        hashes,
                        requests,
                        owner.instance(),
                        owner.lane(),
                        owner.run(),
                        committedIds.toArray(String[]::new))))
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
                                row.getString(6));
                        byId.put(r.paymentId(), r);
                    }
                    List<Reservation> out = new ArrayList<>(n);
                    for (PaymentRequest r : batch) {
                        out.add(byId.get(r.paymentId()));
                    }
                    return out;
                });
    }

    public Future<List<String>> takeOver(List<String> paymentIds, long reservationTimeoutMs) {
        return pool.preparedQuery(TAKE_OVER)
                .execute(Tuple.of(
                        paymentIds.toArray(String[]::new),
                        (double) reservationTimeoutMs,
                        owner.instance(),
                        owner.lane(),
                        owner.run()))
                .map(rows -> {
                    List<String> won = new ArrayList<>();
                    rows.forEach(r -> won.add(r.getString(0)));
                    return won;
                });
    }

    public Future<Void> markAccepted(List<String> paymentIds) {
        return pool.preparedQuery(MARK_ACCEPTED)
                .execute(Tuple.of((Object) paymentIds.toArray(String[]::new)))
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
