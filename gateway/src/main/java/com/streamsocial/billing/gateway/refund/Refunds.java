package com.streamsocial.billing.gateway.refund;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.RefundRequestValidator;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.gateway.tracing.RequestSpans;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.refund.RefundIds;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One gateway lane's refunds (issue 21 §1) with what they own: a small PostgreSQL pool, whose
 * connections hold a payment's row lock while its refund's Kafka transaction commits, and a
 * transactional producer of their own, so that a refund never waits behind the lane's payment batches.
 */
public final class Refunds {
    /** Connections of one lane's refund pool: how many refunds one lane publishes at once. */
    public static final int PG_CONNECTIONS_MAX = 2;

    /** Requests waiting for a connection, at most; beyond, {@code 503} and the client retries with its key. */
    public static final int PG_WAIT_QUEUE_MAX = 64;

    private final Pool pool;
    private final TransactionalPublisher publisher;
    private final RefundIntake intake;
    private final Context context;
    private final int retryAfterS;

    private Refunds(Pool pool, TransactionalPublisher publisher, Context context, int retryAfterS) {
        this.pool = pool;
        this.publisher = publisher;
        this.intake = new RefundIntake(pool, publisher);
        this.context = context;
        this.retryAfterS = retryAfterS;
    }

    /** Starts the lane's refunds: the pool and the producer ({@code initTransactions} fences an earlier run's). */
    public static Future<Refunds> start(
            Vertx vertx,
            Context context,
            PgConnectOptions pg,
            Map<String, Object> kafka,
            String transactionalId,
            int transactionTimeoutMs,
            MeterRegistry registry,
            int retryAfterS) {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(PG_CONNECTIONS_MAX).setMaxWaitQueueSize(PG_WAIT_QUEUE_MAX))
                .connectingTo(pg)
                .using(vertx)
                .build();
        Counter commitRetries = Counter.builder("gateway.refunds.commit.retries")
                .description("Refund Kafka commits tried again after a timeout")
                .register(registry);
        TransactionalPublisher publisher = new TransactionalPublisher(
                KafkaSafety.transactionalProducer(kafka, transactionalId, transactionTimeoutMs), commitRetries);
        return Future.fromCompletionStage(publisher.start(), context)
                .map(v -> new Refunds(pool, publisher, context, retryAfterS))
                .onFailure(e -> {
                    publisher.close();
                    pool.close();
                });
    }

    /** {@code POST /v1/payments/{id}/refunds}: answered after the Kafka and PostgreSQL commits. */
    public void create(RoutingContext ctx, String tenant, BiConsumer<RoutingContext, Problem> problem) {
        String paymentId = ctx.pathParam("id");
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        RefundRequestValidator.Result v = RefundRequestValidator.validate(
                tenant,
                paymentId,
                ctx.request().getHeader("Idempotency-Key"),
                ctx.request().getHeader("Content-Type"),
                body == null ? null : body.getBytes());
        if (v.problem() != null) {
            problem.accept(ctx, v.problem());
            return;
        }
        if (!PaymentIds.looksLikePaymentId(paymentId)) {
            problem.accept(ctx, paymentNotFound());
            return;
        }
        intake.take(context, v.request(), System.currentTimeMillis(), RequestSpans.of(ctx))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        problem.accept(
                                ctx,
                                Problem.unavailable(
                                        "unavailable",
                                        "the refund was not accepted; retrying with the same key is safe",
                                        retryAfterS));
                        return;
                    }
                    RefundIntake.Taken t = ar.result();
                    if (t instanceof RefundIntake.Accepted a) {
                        answer(ctx, 202, a.view(), false);
                    } else if (t instanceof RefundIntake.Replayed r) {
                        answer(ctx, r.view().state().isFinal() ? 200 : 202, r.view(), true);
                    } else if (t instanceof RefundIntake.Refused r) {
                        problem.accept(ctx, refused(r));
                    } else if (t instanceof RefundIntake.KeyReused) {
                        problem.accept(ctx, keyReused());
                    } else {
                        problem.accept(ctx, paymentNotFound());
                    }
                });
    }

    /** {@code GET /v1/payments/{id}/refunds/{refund_id}}: the tenant's refund of that payment, or 404. */
    public void get(RoutingContext ctx, SqlClient reads, String tenant, BiConsumer<RoutingContext, Problem> problem) {
        String paymentId = ctx.pathParam("id");
        String refundId = ctx.pathParam("refund_id");
        Problem missing = Problem.of(404, "refund-not-found", "Refund not found", "no refund has this id");
        if (!RefundIds.looksLikeRefundId(refundId)) {
            problem.accept(ctx, missing);
            return;
        }
        RefundStore.find(reads, refundId, tenant).onComplete(ar -> {
            if (ar.failed()) {
                problem.accept(
                        ctx, Problem.unavailable("store_unavailable", "the refund store is unreachable", retryAfterS));
            } else if (ar.result().isEmpty() || !ar.result().get().paymentId().equals(paymentId)) {
                problem.accept(ctx, missing);
            } else {
                answer(ctx, 200, ar.result().get().view(), false);
            }
        });
    }

    /** A payment's refunds for its {@code GET}, read on the lane's read pool. */
    public static Future<List<RefundView>> list(SqlClient reads, String paymentId, String tenant) {
        return RefundStore.list(reads, paymentId, tenant);
    }

    private static void answer(RoutingContext ctx, int status, RefundView view, boolean replayed) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json");
        ctx.response().putHeader("Location", "/v1/payments/" + view.paymentId() + "/refunds/" + view.refundId());
        if (replayed) {
            ctx.response().putHeader("Idempotent-Replayed", "true");
        }
        ctx.response().end(view.json().encode());
    }

    static Problem paymentNotFound() {
        return Problem.of(404, "payment-not-found", "Payment not found", "no payment has this id");
    }

    static Problem keyReused() {
        return new Problem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused with a different request",
                "this Idempotency-Key was used with a different refund request",
                List.of(new Problem.FieldError("Idempotency-Key", "reused with a different request")),
                null);
    }

    static Problem refused(RefundIntake.Refused r) {
        String detail = switch (r.why()) {
            case PAYMENT_PENDING -> "the payment is not decided yet; retry once it has succeeded";
            case PAYMENT_NOT_REFUNDABLE -> "only a succeeded payment can be refunded";
            case FULLY_REFUNDED -> "nothing remains to refund: succeeded and pending refunds hold the whole amount";
            case EXCEEDS_REMAINDER -> "the amount is over what remains to refund: " + r.remainderMinor();
        };
        return new Problem(
                r.why().httpStatus,
                r.why().slug,
                "The refund is refused",
                detail,
                r.why() == com.streamsocial.billing.refund.RefundDecision.Refusal.EXCEEDS_REMAINDER
                        ? List.of(new Problem.FieldError("amount", "at most " + r.remainderMinor()))
                        : List.of(),
                null);
    }

    /** Closes the producer (blocking: call it off the event loop) and the pool. */
    public Future<Void> close(Vertx vertx) {
        return vertx.executeBlocking(() -> {
                    publisher.close();
                    return null;
                })
                .compose(v -> pool.close());
    }
}
