package com.streamsocial.billing.gateway.recovery;

import com.streamsocial.billing.gateway.GatewayMeters;
import com.streamsocial.billing.gateway.store.IntentStore;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles, at start, the reservations that earlier runs of this gateway instance left open, so their
 * keys answer at once instead of {@code 409} until {@code gateway.reservationTimeoutMs}. Call it only
 * once every lane's {@code initTransactions} has returned: the transactions of the earlier runs are
 * then decided. The decision itself is {@link ReservationSettlement}'s: each open reservation whose
 * payment is on {@code payments.billing} (read_committed) is marked accepted; every other one was
 * never published and is released.
 */
public final class RestartSettlement {
    private static final Logger log = LoggerFactory.getLogger(RestartSettlement.class);

    /** Reservations settled per round; a larger backlog takes more rounds, each its own scan. */
    public static final int RESERVATIONS_PER_ROUND_MAX = 50_000;

    /** What a round decided, for logs and tests. */
    public record Result(int accepted, int released) {}

    private final IntentStore store;
    private final ReservationSettlement settlement;
    private final GatewayMeters metrics;

    /** {@code store} reserves as this run of the instance, so "earlier runs" are all the others. */
    public RestartSettlement(IntentStore store, ReservationSettlement settlement, GatewayMeters metrics) {
        this.store = store;
        this.settlement = settlement;
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
            return settlement
                    .settle(open, store::settleEarlierRuns)
                    .map(plan -> {
                        metrics.restartReservationsAccepted()
                                .increment(plan.published().size());
                        metrics.restartReservationsReleased()
                                .increment(plan.unpublished().size());
                        log.info(
                                "settled {} open reservations of earlier runs: {} published, {} released",
                                open.size(),
                                plan.published().size(),
                                plan.unpublished().size());
                        return new Result(
                                sofar.accepted() + plan.published().size(),
                                sofar.released() + plan.unpublished().size());
                    })
                    .compose(r -> open.size() < RESERVATIONS_PER_ROUND_MAX ? Future.succeededFuture(r) : round(r));
        });
    }
}
