package com.streamsocial.billing.gateway.recovery;

import com.streamsocial.billing.gateway.store.IntentStore.OpenReservation;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settles reservations whose Kafka transactions are decided, because a producer with their lane's
 * {@code transactional.id} has passed {@code initTransactions} since: that completes a commit the
 * broker had begun and aborts anything else. Each reservation whose payment is on
 * {@code payments.billing} (read_committed) is published and is marked accepted; every other one
 * never will be and is released. Used by {@link RestartSettlement} for what earlier runs left open,
 * and by a lane that recreated its producer after a commit whose outcome stayed unknown.
 */
public final class ReservationSettlement {
    /** Writes a plan to the store: marks {@code published} accepted and releases {@code unpublished}. */
    @FunctionalInterface
    public interface Apply {
        Future<Void> apply(List<String> published, List<String> unpublished);
    }

    /** The ids found published, and the others. */
    public record Plan(List<String> published, List<String> unpublished) {}

    private final WorkerExecutor worker;
    private final Map<String, Object> kafka;
    private final long transactionTimeoutMs;

    /** {@code worker} runs the blocking scan of payments.billing; it must not be an event loop. */
    public ReservationSettlement(WorkerExecutor worker, Map<String, Object> kafka, long transactionTimeoutMs) {
        this.worker = worker;
        this.kafka = Map.copyOf(kafka);
        this.transactionTimeoutMs = transactionTimeoutMs;
    }

    /**
     * Scans payments.billing for {@code open} (whose transactions must be decided, see above), then
     * applies the plan. Fails, and applies nothing, if the scan fails or runs out of time.
     */
    public Future<Plan> settle(List<OpenReservation> open, Apply apply) {
        if (open.isEmpty()) {
            return Future.succeededFuture(new Plan(List.of(), List.of()));
        }
        Set<String> ids = new HashSet<>(open.size() * 2);
        long oldestMs = Long.MAX_VALUE;
        for (OpenReservation o : open) {
            ids.add(o.paymentId());
            oldestMs = Math.min(oldestMs, o.reservedAtMs());
        }
        // A record's timestamp is taken after its reservation; the transaction timeout bounds how far
        // apart the clock that timed the reservation and the producer's clock may be before the scan
        // starts too late.
        long fromMs = oldestMs - transactionTimeoutMs;
        // Open transactions of other producers hold the read_committed position back for at most
        // their transaction timeout.
        long deadlineMs = System.currentTimeMillis() + 3 * transactionTimeoutMs + 10_000;
        return worker.<Set<String>>executeBlocking(() -> BillingScan.committed(kafka, ids, fromMs, deadlineMs))
                .compose(found -> {
                    Plan plan = plan(open, found);
                    return apply.apply(plan.published(), plan.unpublished()).map(plan);
                });
    }

    public static Plan plan(List<OpenReservation> open, Set<String> found) {
        List<String> published = new ArrayList<>();
        List<String> unpublished = new ArrayList<>();
        for (OpenReservation o : open) {
            (found.contains(o.paymentId()) ? published : unpublished).add(o.paymentId());
        }
        return new Plan(published, unpublished);
    }
}
