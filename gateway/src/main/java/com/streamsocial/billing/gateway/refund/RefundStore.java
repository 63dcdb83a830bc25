package com.streamsocial.billing.gateway.refund;

import com.streamsocial.billing.refund.RefundDecision;
import com.streamsocial.billing.refund.RefundState;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The gateway's refund SQL: the payment's row lock and state, the refund id's intent, the sum its
 * refunds hold, and the reads of {@code GET}. The statements that decide run on the caller's
 * transaction's connection, so the lock covers the decision and the insert.
 */
final class RefundStore {
    /** A payment lists at most this many refunds in its {@code GET}; the sum is always over every one. */
    static final int REFUNDS_LISTED_MAX = 100;

    private static final String LOCK_PAYMENT = "SELECT status, amount, currency FROM payments"
            + " WHERE payment_id = $1 AND tenant = $2 FOR NO KEY UPDATE";
    private static final String PENDING_INTENT = "SELECT 1 FROM payment_intents WHERE payment_id = $1 AND tenant = $2";
    /**
     * A refund id's request and state: from its intent, or, for a refund the processor recorded whose
     * intent was lost (the gateway died between its Kafka and PostgreSQL commits), from the processor's row.
     */
    private static final String FIND = "SELECT i.payment_id, i.request_hash, i.amount, i.currency, i.reason, r.status,"
            + " r.failure_code FROM refund_intents i LEFT JOIN refunds r ON r.refund_id = i.refund_id"
            + " WHERE i.refund_id = $1 AND i.tenant = $2"
            + " UNION ALL SELECT r.payment_id, r.request_hash, r.amount, r.currency, r.reason, r.status, r.failure_code"
            + " FROM refunds r WHERE r.refund_id = $1 AND r.tenant = $2"
            + " AND NOT EXISTS (SELECT 1 FROM refund_intents i WHERE i.refund_id = r.refund_id)";
    /** What the payment's refunds hold: every one not failed, intents and the processor's rows without one. */
    private static final String HELD = "SELECT coalesce(sum(amount), 0)::bigint FROM ("
            + " SELECT i.amount FROM refund_intents i LEFT JOIN refunds r ON r.refund_id = i.refund_id"
            + " WHERE i.payment_id = $1 AND (r.status IS NULL OR r.status <> 'failed')"
            + " UNION ALL SELECT r.amount FROM refunds r WHERE r.payment_id = $1 AND r.status <> 'failed'"
            + " AND NOT EXISTS (SELECT 1 FROM refund_intents i WHERE i.refund_id = r.refund_id)) held";

    private static final String INSERT = "INSERT INTO refund_intents (refund_id, payment_id, tenant, idempotency_key,"
            + " request_hash, amount, currency, reason, accepted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    private static final String LIST = "SELECT refund_id, amount, currency, reason, status, failure_code FROM ("
            + " SELECT i.refund_id, i.amount, i.currency, i.reason, r.status, r.failure_code, i.accepted_at AS at"
            + " FROM refund_intents i LEFT JOIN refunds r ON r.refund_id = i.refund_id"
            + " WHERE i.payment_id = $1 AND i.tenant = $2"
            + " UNION ALL SELECT r.refund_id, r.amount, r.currency, r.reason, r.status, r.failure_code, r.created_at"
            + " FROM refunds r WHERE r.payment_id = $1 AND r.tenant = $2"
            + " AND NOT EXISTS (SELECT 1 FROM refund_intents i WHERE i.refund_id = r.refund_id)) listed"
            + " ORDER BY at, refund_id LIMIT " + REFUNDS_LISTED_MAX;

    private RefundStore() {}

    /** The payment as the decision sees it (without its refunds yet), or empty: not this tenant's, or unknown. */
    record LockedPayment(RefundDecision.PaymentState state, long capturedMinor, String currency) {}

    static Future<Optional<LockedPayment>> lockPayment(SqlConnection conn, String paymentId, String tenant) {
        return conn.preparedQuery(LOCK_PAYMENT)
                .execute(Tuple.of(paymentId, tenant))
                .compose(rows -> {
                    if (rows.size() == 1) {
                        Row r = rows.iterator().next();
                        RefundDecision.PaymentState s = switch (r.getString(0)) {
                            case "succeeded" -> RefundDecision.PaymentState.SUCCEEDED;
                            case "failed" -> RefundDecision.PaymentState.FAILED;
                            default -> RefundDecision.PaymentState.PENDING;
                        };
                        return Future.<Optional<LockedPayment>>succeededFuture(
                                Optional.of(new LockedPayment(s, r.getLong(1), r.getString(2))));
                    }
                    // Not recorded by the processor yet: pending if the tenant's gateway accepted it.
                    return conn.preparedQuery(PENDING_INTENT)
                            .execute(Tuple.of(paymentId, tenant))
                            .map(p -> p.size() == 1
                                    ? Optional.of(new LockedPayment(RefundDecision.PaymentState.PENDING, 0, null))
                                    : Optional.<LockedPayment>empty());
                });
    }

    /** A known refund id's intent: its payment, request hash and view. */
    record Known(String paymentId, String requestHash, RefundView view) {}

    static Future<Optional<Known>> find(SqlClient client, String refundId, String tenant) {
        return client.preparedQuery(FIND).execute(Tuple.of(refundId, tenant)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row r = rows.iterator().next();
            RefundView v = new RefundView(
                    refundId,
                    r.getString(0),
                    r.getLong(2),
                    r.getString(3),
                    r.getString(4),
                    state(r.getString(5)),
                    r.getString(6));
            return Optional.of(new Known(r.getString(0), r.getString(1), v));
        });
    }

    static Future<Long> held(SqlConnection conn, String paymentId) {
        return conn.preparedQuery(HELD)
                .execute(Tuple.of(paymentId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    static Future<Void> insert(SqlConnection conn, Intent i) {
        OffsetDateTime at = OffsetDateTime.ofInstant(Instant.ofEpochMilli(i.acceptedAtMs()), ZoneOffset.UTC);
        return conn.preparedQuery(INSERT)
                .execute(Tuple.wrap(new Object[] {
                    i.refundId(),
                    i.paymentId(),
                    i.tenant(),
                    i.idempotencyKey(),
                    i.requestHash(),
                    i.amountMinor(),
                    i.currency(),
                    i.reason(),
                    at
                }))
                .mapEmpty();
    }

    /** A refund intent as inserted. */
    record Intent(
            String refundId,
            String paymentId,
            String tenant,
            String idempotencyKey,
            String requestHash,
            long amountMinor,
            String currency,
            String reason,
            long acceptedAtMs) {}

    /** A payment's refunds, oldest first, at most {@link #REFUNDS_LISTED_MAX}. */
    static Future<List<RefundView>> list(SqlClient client, String paymentId, String tenant) {
        return client.preparedQuery(LIST).execute(Tuple.of(paymentId, tenant)).map(rows -> views(rows, paymentId));
    }

    private static List<RefundView> views(RowSet<Row> rows, String paymentId) {
        List<RefundView> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new RefundView(
                    r.getString(0),
                    paymentId,
                    r.getLong(1),
                    r.getString(2),
                    r.getString(3),
                    state(r.getString(4)),
                    r.getString(5)));
        }
        return out;
    }

    /** The processor's status, or pending while it has none; an unknown text reads as pending, never thrown. */
    private static RefundState state(String processorStatus) {
        return processorStatus == null
                ? RefundState.PENDING
                : RefundState.fromWire(processorStatus).orElse(RefundState.PENDING);
    }
}
