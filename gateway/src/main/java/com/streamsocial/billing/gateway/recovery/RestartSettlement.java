package com.streamsocial.billing.gateway.recovery;

import com.streamsocial.billing.contract.Metrics;
import com.streamsocial.billing.gateway.store.IntentStore;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles, at start, the reservations that earlier runs of this gateway instance left open, so their
 * keys answer at once instead of {@code 409} until {@code gateway.reservationTimeoutMs}. Call it only
 * once every lane's {@code initTransactions} has returned: the transactions of the earlier runs are
 * then decided. Each open reservation whose payment is on {@code payments.billing} (read_committed) is
 * marked accepted; every other one was never published and is released.
 */
public final class RestartSettlement {
    private static final Logger log = LoggerFactory.getLogger(RestartSettlement.class);

    /** Reservations settled per round; a larger backlog takes more rounds, each its own scan. */
    public static final int RESERVATIONS_PER_ROUND_MAX = 50_000;

    /** What a round decided, for logs and tests. */
    public record Result(int accepted, int released) {}

    private final IntentStore store;
    private final WorkerExecutor worker;
    private final Map<String, Object> kafka;
    private final long transactionTimeoutMs;
    private final Metrics metrics;

    public RestartSettlement(
            IntentStore store,
            WorkerExecutor worker,
            Map<String, Object> kafka,
            long transactionTimeoutMs,
            Metrics metrics) {
        this.store = store;
        this.worker = worker;
        this.kafka = kafka;
        this.transactionTimeoutMs = transactionTimeoutMs;
        this.metrics = metrics;
    }

    /** Settles every open reservation of earlier runs, in rounds of at most {@link #RESERVATIONS_PER_ROUND_MAX}. */
    public Future<Result> run() {
        return round(new Result(0, 0));
    }

    private Future<Result> round(Result sofar) {
        return store.openOfEarlierRuns(RESERVATIONS_PER_ROUND_MAX).compose(open -> {
            if (open.isEmpty()) {
                return Future.succeededFuture(sofar);
            }
            Set<String> ids = new HashSet<>(open.size() * 2);
            open.forEach(o -> ids.add(o.paymentId()));
            // A record's timestamp is taken after its reservation; the transaction timeout bounds how
            // far apart the PostgreSQL and gateway clocks may be before the scan starts too late.
            long fromMs = open.get(0).reservedAtMs() - transactionTimeoutMs;
            // Open transactions of other producers hold the read_committed position back for at most
            // their transaction timeout.
            long deadlineMs = System.currentTimeMillis() + 3 * transactionTimeoutMs + 10_000;
            return worker.<Set<String>>executeBlocking(() -> BillingScan.committed(kafka, ids, fromMs, deadlineMs))
                    .compose(found -> {
                        Plan plan = plan(open, found);
                        return store.settleEarlierRuns(plan.published(), plan.unpublished())
                                .map(v -> {
                                    metrics.counter(
                                                    "gateway_restart_reservations_accepted_total",
                                                    "Open reservations of earlier runs found published at start")
                                            .add(plan.published().size());
                                    metrics.counter(
                                                    "gateway_restart_reservations_released_total",
                                                    "Open reservations of earlier runs released at start")
                                            .add(plan.unpublished().size());
                                    log.info(
                                            "settled {} open reservations of earlier runs: {} published, {} released",
                                            open.size(),
                                            plan.published().size(),
                                            plan.unpublished().size());
                                    return new Result(
                                            sofar.accepted() + plan.published().size(),
                                            sofar.released()
                                                    + plan.unpublished().size());
                                });
                    })
                    .compose(r -> open.size() < RESERVATIONS_PER_ROUND_MAX ? Future.succeededFuture(r) : round(r));
        });
    }

    /** The ids found published, and the others. */
    public record Plan(List<String> published, List<String> unpublished) {}

    public static Plan plan(List<IntentStore.OpenReservation> open, Set<String> found) {
        List<String> published = new ArrayList<>();
        List<String> unpublished = new ArrayList<>();
        for (IntentStore.OpenReservation o : open) {
            (found.contains(o.paymentId()) ? published : unpublished).add(o.paymentId());
        }
        return new Plan(published, unpublished);
    }
}
