package com.streamsocial.billing.gateway.refund;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.http.RefundRequest;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.refund.RefundDecision;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.refund.RefundReason;
import com.streamsocial.billing.refund.RefundState;
import com.streamsocial.billing.tracing.TraceHeaders;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Takes a refund request exactly once and within what remains: in one PostgreSQL transaction that
 * holds the payment's row lock, it finds the refund id (a retry), decides against every refund the
 * payment holds, inserts the intent and publishes the {@code refund.requested} event in its own Kafka
 * transaction; PostgreSQL commits after Kafka. Concurrent requests for one payment, on any lane or
 * instance, queue on the lock; a failed publish rolls the intent back.
 */
final class RefundIntake {
    /** What became of a request. */
    sealed interface Taken {}

    /** New: published and committed; the view is {@code pending}. */
    record Accepted(RefundView view) implements Taken {}

    /** The same request under a known refund id: its current view, nothing published. */
    record Replayed(RefundView view) implements Taken {}

    /** Not this tenant's payment, or none: a 404 like a missing one. */
    record NotFound() implements Taken {}

    /** The key was used for another refund request (another payment, amount or reason). */
    record KeyReused() implements Taken {}

    record Refused(RefundDecision.Refusal why, long remainderMinor) implements Taken {}

    private final Pool pool;
    private final TransactionalPublisher publisher;

    RefundIntake(Pool pool, TransactionalPublisher publisher) {
        this.pool = pool;
        this.publisher = publisher;
    }

    /**
     * Completes on {@code context} once the request is taken or refused; a failure leaves nothing of it.
     * The event's record carries {@code trace} ({@code traceparent}; none when invalid).
     */
    Future<Taken> take(Context context, RefundRequest request, long nowMs, SpanContext trace) {
        return pool.withTransaction(conn -> RefundStore.lockPayment(conn, request.paymentId(), request.tenant())
                .compose(payment -> payment.isEmpty()
                        ? Future.<Taken>succeededFuture(new NotFound())
                        : RefundStore.find(conn, request.refundId(), request.tenant())
                                .compose(known -> known.isPresent()
                                        ? Future.<Taken>succeededFuture(retry(request, known.get()))
                                        : decide(context, conn, request, payment.get(), nowMs, trace))));
    }

    private static Taken retry(RefundRequest request, RefundStore.Known known) {
        boolean same = known.paymentId().equals(request.paymentId())
                && known.requestHash().equals(request.requestHash());
        return same ? new Replayed(known.view()) : new KeyReused();
    }

    private Future<Taken> decide(
            Context context,
            SqlConnection conn,
            RefundRequest request,
            RefundStore.LockedPayment payment,
            long nowMs,
            SpanContext trace) {
        return RefundStore.held(conn, request.paymentId()).<Taken>compose(held -> {
            RefundDecision.Outcome o = RefundDecision.decide(
                    new RefundDecision.Payment(payment.state(), payment.capturedMinor(), held), request.amountMinor());
            if (o instanceof RefundDecision.Refuse r) {
                return Future.<Taken>succeededFuture(new Refused(r.why(), r.remainderMinor()));
            }
            long amount = ((RefundDecision.Accept) o).amountMinor();
            String reason = request.reason().map(RefundReason::wire).orElse(null);
            RefundStore.Intent intent = new RefundStore.Intent(
                    request.refundId(),
                    request.paymentId(),
                    request.tenant(),
                    request.idempotencyKey(),
                    request.requestHash(),
                    amount,
                    payment.currency(),
                    reason,
                    nowMs);
            RefundEvent event = new RefundEvent(
                    intent.refundId(),
                    intent.paymentId(),
                    intent.tenant(),
                    intent.idempotencyKey(),
                    intent.requestHash(),
                    amount,
                    intent.currency(),
                    request.reason(),
                    nowMs);
            RefundView view = new RefundView(
                    intent.refundId(),
                    intent.paymentId(),
                    amount,
                    intent.currency(),
                    reason,
                    RefundState.PENDING,
                    null);
            return RefundStore.insert(conn, intent)
                    .compose(v -> Future.fromCompletionStage(
                            publisher.publish(List.of(record(event, trace)), false), context))
                    .map(v -> (Taken) new Accepted(view));
        });
    }

    /** The event's record: keyed by the payment id, so that a payment's refunds keep their order. */
    static ProducerRecord<String, byte[]> record(RefundEvent event, SpanContext trace) {
        return new ProducerRecord<>(
                Topics.REFUNDS, null, event.paymentId(), event.toBytes(), TraceHeaders.kafka(trace));
    }
}
