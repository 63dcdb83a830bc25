package com.streamsocial.billing.processor.webhook;

import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.refund.RefundLedger;
import com.streamsocial.billing.processor.refund.StoredRefund;
import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.processor.webhook.ProviderEvent.PaymentRef;
import com.streamsocial.billing.processor.webhook.WebhookRules.Outcome;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies one webhook event in one PostgreSQL transaction: its {@code webhook_applications} row (the
 * event's idempotency, unique per provider and event id) and its effect commit together, or neither.
 * The effect is decided by {@link WebhookRules}, under the payment's row lock (the refunds' lock), so
 * two events of one payment, or an event and a refund, never interleave.
 */
public final class WebhookStore {
    private static final String CLAIM = "INSERT INTO webhook_applications (provider, event_id, event_type, outcome,"
            + " source_partition, source_offset) VALUES ($1, $2, $3, 'ignored', $4, $5)"
            + " ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1";
    private static final String KNOWN = "SELECT outcome, source_partition, source_offset, payment_id, detail"
            + " FROM webhook_applications WHERE provider = $1 AND event_id = $2";
    private static final String SETTLE = "UPDATE webhook_applications SET outcome = $3, payment_id = $4,"
            + " object_id = $5, detail = $6 WHERE provider = $1 AND event_id = $2";
    private static final String DISPUTE = "SELECT status, closed FROM disputes WHERE dispute_id = $1 FOR UPDATE";
    private static final String UPSERT_DISPUTE = """
            INSERT INTO disputes (dispute_id, provider, payment_id, amount, currency, reason, status, closed, closed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 THEN now() END)
            ON CONFLICT (dispute_id) DO UPDATE SET status = excluded.status, closed = excluded.closed,
                amount = excluded.amount, reason = coalesce(excluded.reason, disputes.reason), updated_at = now(),
                closed_at = excluded.closed_at
            WHERE NOT disputes.closed""";

    /** The {@code detail} of an application that decided its payment. */
    private static final String DECIDED = "decided";

    /** Characters of {@code detail} kept, at most. */
    static final int DETAIL_CHARS_MAX = 500;

    /**
     * What applying an event did: its outcome; the payment it decided (to emit its outcome); the refunds
     * of ours it decided; and, for a record read again whose application was committed, {@code replay}
     * with the payment and refunds that application decided, whose outcomes may need emitting again.
     */
    public record Applied(
            Outcome outcome, boolean replay, String paymentId, StoredPayment decided, List<String> refundsDecided) {
        static Applied of(Outcome o) {
            return new Applied(o, false, null, null, List.of());
        }
    }

    private final Pool pool;

    public WebhookStore(Pool pool) {
        this.pool = pool;
    }

    /** Applies {@code in}, decoded as {@code decoded}, once: see the class comment. */
    public Future<Applied> apply(WebhookInput in, WebhookDecoder.Decoded decoded) {
        return pool.withTransaction(conn -> conn.preparedQuery(CLAIM)
                .execute(Tuple.of(in.provider(), in.eventId(), in.eventType(), in.partition(), in.offset()))
                .compose(rows -> rows.size() == 1 ? first(conn, in, decoded) : known(conn, in)));
    }

    /** An event already applied: by this same record (replayed after its Kafka transaction aborted) or another. */
    private static Future<Applied> known(SqlConnection conn, WebhookInput in) {
        return conn.preparedQuery(KNOWN)
                .execute(Tuple.of(in.provider(), in.eventId()))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    boolean same = r.getInteger(1) == in.partition() && r.getLong(2) == in.offset();
                    if (!same || !Outcome.APPLIED.wire().equals(r.getString(0))) {
                        return Applied.of(Outcome.DUPLICATE);
                    }
                    // Only an application that decided the payment has an outcome of its own to emit again.
                    String decidedPayment = DECIDED.equals(r.getString(4)) ? r.getString(3) : null;
                    return new Applied(Outcome.APPLIED, true, decidedPayment, null, refundIds(r.getString(4)));
                });
    }

    private static Future<Applied> first(SqlConnection conn, WebhookInput in, WebhookDecoder.Decoded decoded) {
        if (decoded.error() != null) {
            return settle(conn, in, Applied.of(Outcome.MALFORMED), null, decoded.error());
        }
        if (decoded.ignored()) {
            return settle(conn, in, Applied.of(Outcome.IGNORED), null, null);
        }
        ProviderEvent event = decoded.event();
        PaymentRef ref = event.payment();
        return LedgerStore.lockForEvent(conn, ref.paymentId(), ref.providerIds())
                .compose(locked -> locked.isEmpty()
                        ? settle(conn, in, Applied.of(Outcome.UNKNOWN_OBJECT), null, "no payment " + describe(ref))
                        : effect(conn, in, event, locked.get())
                                .compose(a -> settle(conn, in, a, locked.get().paymentId(), detail(a))));
    }

    private static Future<Applied> effect(
            SqlConnection conn, WebhookInput in, ProviderEvent event, LedgerStore.Locked p) {
        if (event instanceof ProviderEvent.PaymentDecided d) {
            if (!WebhookRules.decidable(p.status())) {
                return Future.succeededFuture(Applied.of(Outcome.STALE));
            }
            return LedgerStore.decideByEvent(conn, p.paymentId(), d.succeeded(), d.providerRef(), d.failureCode())
                    .map(stored -> stored.isPresent()
                            ? new Applied(Outcome.APPLIED, false, p.paymentId(), stored.get(), List.of())
                            : Applied.of(Outcome.STALE));
        }
        if (event instanceof ProviderEvent.RefundsSeen r) {
            return refunds(conn, in, r, p);
        }
        return dispute(conn, in, (ProviderEvent.Dispute) event, p);
    }

    private static Future<Applied> refunds(
            SqlConnection conn, WebhookInput in, ProviderEvent.RefundsSeen seen, LedgerStore.Locked p) {
        long captured = "succeeded".equals(p.status()) ? p.amount() : 0;
        return RefundLedger.held(conn, p.paymentId()).compose(held -> {
            List<WebhookRules.RefundStep> steps = WebhookRules.refunds(captured, held, seen.refunds());
            List<String> decided = new ArrayList<>();
            Future<Void> chain = Future.succeededFuture();
            for (WebhookRules.RefundStep s : steps) {
                if (s instanceof WebhookRules.DecideOurs o) {
                    chain = chain.compose(v -> RefundLedger.decidePending(
                                    conn,
                                    o.refundId(),
                                    o.succeeded(),
                                    o.refund().providerRefundId())
                            .map(stored -> {
                                stored.stream()
                                        .filter(x -> x.state().isFinal())
                                        .forEach(x -> decided.add(x.refundId()));
                                return null;
                            }));
                } else if (s instanceof WebhookRules.RecordForeign f) {
                    chain = chain.compose(v -> RefundLedger.recordForeign(
                                    conn,
                                    f.refund().providerRefundId(),
                                    p.paymentId(),
                                    p.tenant(),
                                    in.eventId(),
                                    f.refund().amountMinor(),
                                    p.currency(),
                                    in.partition(),
                                    in.offset())
                            .mapEmpty());
                }
            }
            Outcome outcome = WebhookRules.refundOutcome(steps);
            return chain.map(v -> new Applied(outcome, false, p.paymentId(), null, List.copyOf(decided)));
        });
    }

    private static Future<Applied> dispute(
            SqlConnection conn, WebhookInput in, ProviderEvent.Dispute d, LedgerStore.Locked p) {
        return conn.preparedQuery(DISPUTE).execute(Tuple.of(d.disputeId())).compose(rows -> {
            Row r = rows.size() == 1 ? rows.iterator().next() : null;
            boolean newer = WebhookRules.disputeNewer(
                    r == null ? null : r.getString(0), r != null && r.getBoolean(1), d.status(), d.closed());
            if (!newer) {
                return Future.succeededFuture(Applied.of(Outcome.STALE));
            }
            return conn.preparedQuery(UPSERT_DISPUTE)
                    .execute(Tuple.wrap(new Object[] {
                        d.disputeId(),
                        in.provider(),
                        p.paymentId(),
                        d.amountMinor(),
                        d.currency(),
                        d.reason(),
                        d.status(),
                        d.closed()
                    }))
                    .map(x -> new Applied(Outcome.APPLIED, false, p.paymentId(), null, List.of()));
        });
    }

    private static Future<Applied> settle(
            SqlConnection conn, WebhookInput in, Applied a, String paymentId, String detail) {
        String kept =
                detail == null || detail.length() <= DETAIL_CHARS_MAX ? detail : detail.substring(0, DETAIL_CHARS_MAX);
        return conn.preparedQuery(SETTLE)
                .execute(Tuple.wrap(
                        new Object[] {in.provider(), in.eventId(), a.outcome().wire(), paymentId, null, kept}))
                .map(x -> a);
    }

    /** The refunds an application decided, kept in its row so a replay can emit their outcomes again. */
    private static String detail(Applied a) {
        if (a.decided() != null) {
            return DECIDED;
        }
        return a.refundsDecided().isEmpty() ? null : "refunds:" + String.join(",", a.refundsDecided());
    }

    private static List<String> refundIds(String detail) {
        if (detail == null || !detail.startsWith("refunds:")) {
            return List.of();
        }
        return List.of(detail.substring("refunds:".length()).split(","));
    }

    private static String describe(PaymentRef ref) {
        return ref.paymentId() != null ? ref.paymentId() : "with provider ids " + ref.providerIds();
    }

    /** The refunds {@code ids} as stored (for their outcomes); the unknown ones left out. */
    public Future<List<StoredRefund>> refunds(List<String> ids) {
        return RefundLedger.stored(pool, ids);
    }

    /** The payment as stored, if any (for its outcome). */
    public Future<Optional<StoredPayment>> payment(LedgerStore ledger, String paymentId) {
        return ledger.stored(List.of(paymentId)).map(m -> Optional.ofNullable(m.get(paymentId)));
    }
}
