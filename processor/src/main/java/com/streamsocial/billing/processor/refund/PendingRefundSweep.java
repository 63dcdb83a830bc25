package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.kafka.KafkaSafety;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's periodic look at refunds the provider left pending (issue 21): every pass takes at
 * most {@link #REFUNDS_PER_PASS_MAX} of them whose back-off has passed and re-drives them through
 * {@code payments.refunds} ({@link RefundRedrive}), where the loop looks each up by its provider id
 * and decides it once. The SQL runs on the event loop (the reactive pool); the Kafka sends on one
 * named worker thread ({@link #THREAD}), never on the event loop.
 */
public final class PendingRefundSweep implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PendingRefundSweep.class);

    /** Pending refunds re-driven by one pass at most; the rest wait for the next. */
    public static final int REFUNDS_PER_PASS_MAX = 100;

    /** The longest back-off between two lookups of one refund, whatever its attempts. */
    public static final long BACKOFF_MAX_MS = 6 * 3_600_000L;

    /** The worker thread the sends run on: one, named, so a slow broker holds nothing else. */
    public static final String THREAD = "pending-refund-sweep";

    /** What the {@code redrive} header of its records says. */
    static final String SOURCE = "pending-refund-sweep";

    /**
     * Takes the due refunds and marks them asked now, in one statement: a refund pending at the
     * provider, last asked longer ago than its back-off ({@code $1} ms doubled per attempt, at most
     * {@code $2}); locked rows (a batch recording it) are skipped. One without an accepted intent (the
     * gateway lost it after publishing) cannot be rebuilt here: reconciliation re-drives it from the log.
     */
    private static final String DUE = """
            WITH due AS (
                SELECT refund_id FROM refunds
                WHERE status = 'refunding' AND provider_ref IS NOT NULL
                  AND EXISTS (SELECT 1 FROM refund_intents i WHERE i.refund_id = refunds.refund_id)
                  AND coalesce(last_attempt_at, created_at)
                      + (least($2::bigint, $1::bigint * (1::bigint << least(attempts, 20)))::float8
                         * interval '1 millisecond') <= now()
                ORDER BY last_attempt_at NULLS FIRST
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE refunds r SET last_attempt_at = now() FROM due WHERE r.refund_id = due.refund_id
            RETURNING r.refund_id""";

    private final Vertx vertx;
    private final Pool pool;
    private final Map<String, Object> kafka;
    private final long backoffMs;
    private final WorkerExecutor worker;
    private final long timer;
    private KafkaProducer<String, byte[]> producer;
    private boolean running;

    /** Starts the passes, one every {@code checkMs}; {@code backoffMs} is a refund's first back-off. */
    public PendingRefundSweep(Vertx vertx, Pool pool, Map<String, Object> kafka, long checkMs, long backoffMs) {
        this.vertx = vertx;
        this.pool = pool;
        this.kafka = Map.copyOf(kafka);
        this.backoffMs = backoffMs;
        this.worker = vertx.createSharedWorkerExecutor(THREAD, 1);
        this.timer = vertx.setPeriodic(checkMs, id -> pass());
    }

    /** One pass; skipped while the previous one runs. Completes with the refunds it re-drove. */
    public Future<Integer> pass() {
        if (running) {
            return Future.succeededFuture(0);
        }
        running = true;
        return pool.preparedQuery(DUE)
                .execute(Tuple.of(backoffMs, BACKOFF_MAX_MS, REFUNDS_PER_PASS_MAX))
                .compose(rows -> {
                    List<String> ids = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        ids.add(r.getString(0));
                    }
                    return ids.isEmpty()
                            ? Future.succeededFuture(0)
                            : RefundRedrive.events(pool, ids)
                                    .compose(events -> worker.executeBlocking(
                                            () -> {
                                                RefundRedrive.send(producer(), events, SOURCE);
                                                return events.size();
                                            },
                                            true));
                })
                .onSuccess(n -> {
                    if (n > 0) {
                        log.info("re-drove {} refunds pending at the provider, to be looked up", n);
                    }
                })
                .onFailure(e -> log.warn("pending refunds not re-driven this pass: {}", e.toString()))
                .onComplete(ar -> running = false);
    }

    /** Made on the worker thread at first use: its construction may block. */
    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(KafkaSafety.idempotentProducer(kafka));
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        vertx.cancelTimer(timer);
        worker.close();
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
