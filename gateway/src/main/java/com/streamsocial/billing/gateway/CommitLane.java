package com.streamsocial.billing.gateway;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.batch.GroupCommitBatcher;
import com.streamsocial.billing.gateway.dedup.CommittedIds;
import com.streamsocial.billing.gateway.dedup.IdempotencyDecision;
import com.streamsocial.billing.gateway.dedup.LaneMarks;
import com.streamsocial.billing.gateway.dedup.Reservation;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.gateway.limit.QueueShares;
import com.streamsocial.billing.gateway.ownership.Ownership;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.gateway.recovery.ReservationSettlement;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.kafka.ProducerErrors;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.tracing.TraceHeaders;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group-commit lane: a batcher, one transactional producer and at most one batch in flight. A
 * batch goes through: reserve its ids in PostgreSQL, write it to Kafka in one transaction (billing
 * and metrics events together), and answer every request in it once the transaction commits. While
 * one batch commits, the next one fills. Batches are numbered, and the next batch's reserve statement
 * (or a statement of its own when no batch follows) writes the range of committed batches that makes
 * their reservations accepted ({@link LaneMarks}): one PostgreSQL round trip per batch, and no row of a
 * payment updated after its insert.
 * Everything here runs on the lane's event loop, except the Kafka calls, which run on the
 * publisher's own thread and come back through {@link Future#fromCompletionStage}.
 *
 * <p>A payment whose customer or payment method another tenant owns is answered {@code NOT_OWNED}
 * (422) and never reserved nor published: at once when the lane's owner cache knows it, else by the
 * batch's reserve statement, which claims and checks owners in the same round trip ({@link Ownership}).
 */
public final class CommitLane {
    private static final Logger log = LoggerFactory.getLogger(CommitLane.class);

    /**
     * Settlements of batches whose commit outcome was unknown that may scan at once, per lane. Each
     * needs the producer to have been recreated first, so more than this means Kafka is failing
     * every commit; their keys then wait for the restart settlement or the reservation timeout.
     */
    public static final int SETTLEMENTS_IN_FLIGHT_MAX = 4;

    /**
     * Committed ids not yet marked accepted, at most, per process ({@link CommittedIds}). Only a failing database lets them
     * pile up (each reserve carries all of them); past this the lane sheds new requests with 503
     * until a mark succeeds, rather than hold ids whose reservations could be taken over.
     */
    public static final int UNMARKED_IDS_MAX = 20_000;

    /** Pause before a failed standalone mark is tried again, when no batch carries it meanwhile. */
    private static final long MARK_RETRY_MS = 200;

    /** How a request ends; the HTTP layer turns it into a response. */
    public record Answer(Kind kind, String ledgerStatus, String failureCode, String reason) {
        public enum Kind {
            ACCEPTED,
            REPLAYED,
            IN_FLIGHT,
            KEY_REUSED,
            /** The customer or payment method belongs to another tenant (or, first use off, to none). */
            NOT_OWNED,
            /** The tenant holds its fair share of this lane's queue ({@link QueueShares}): 429. */
            OVER_SHARE,
            UNAVAILABLE
        }

        static Answer of(Kind kind) {
            return new Answer(kind, null, null, null);
        }

        static Answer replayed(String ledgerStatus, String failureCode) {
            return new Answer(Kind.REPLAYED, ledgerStatus, failureCode, null);
        }

        static Answer unavailable(String reason) {
            return new Answer(Kind.UNAVAILABLE, null, null, reason);
        }
    }

    private final Vertx vertx;
    private final Context context;
    private final GatewayConfig config;
    private final GroupCommitBatcher<Item> batcher;
    private final TransactionalPublisher publisher;
    private final IntentStore store;
    private final ReservationSettlement settlement;
    private final BatchFaults faults;
    private final GatewayMeters metrics;
    private final Ownership ownership;
    /** Ids queued or in flight on this lane: a second request for one of them is answered 409 at once. */
    private final Map<String, Item> inLane = new HashMap<>();
    /** Each tenant's records in {@link #batcher}'s queue, at most its fair share. */
    private final QueueShares shares;
    /**
     * Ids committed to Kafka whose accepted mark a statement may not see yet, of every lane of this
     * process. A reservation that still reads {@code reserved} for one of them is accepted: a retry is
     * a replay, not a 409. Another gateway instance cannot know them, and answers such a retry 409
     * until the mark commits: one batch cycle at most while PostgreSQL answers.
     */
    private final CommittedIds committedIds;
    /** This lane's committed ids whose mark no statement in flight carries yet. */
    private final List<String> marksWaiting = new ArrayList<>();
    /** This lane's batch numbers and the ranges of them that are committed. */
    private final LaneMarks laneMarks = new LaneMarks();

    private boolean markInFlight;

    private boolean batchInFlight;
    /** Settlements of decided batches still running on this lane, at most SETTLEMENTS_IN_FLIGHT_MAX. */
    private int settlementsInFlight;

    private long timerId = -1;
    private long timerDeadlineMs = Long.MAX_VALUE;

    /**
     * Set by {@link #drain()}: no new request is queued, the queue is flushed without waiting for
     * linger, and {@link #drained} completes once nothing is queued or in flight.
     */
    private boolean draining;

    private final Promise<Void> drained = Promise.promise();

    /** {@code queuedAtNanos}: when it joined the lane, for the batch's linger. */
    private record Item(PaymentRequest request, Ownership.Claims claims, Promise<Answer> answer, long queuedAtNanos) {}

    public CommitLane(
            Vertx vertx,
            Context context,
            GatewayConfig config,
            TransactionalPublisher publisher,
            IntentStore store,
            ReservationSettlement settlement,
            BatchFaults faults,
            GatewayMeters metrics,
            CommittedIds committedIds,
            Ownership ownership) {
        this.vertx = vertx;
        this.context = context;
        this.config = config;
        this.publisher = publisher;
        this.store = store;
        this.settlement = settlement;
        this.faults = faults;
        this.metrics = metrics;
        this.committedIds = committedIds;
        this.ownership = ownership;
        this.batcher = new GroupCommitBatcher<>(new GroupCommitBatcher.Limits(
                config.batchRecordsMax(), config.batchBytesMax(), config.lingerMs(), config.queueRecordsMax()));
        this.shares = new QueueShares(config.queueRecordsMax(), config.batchRecordsMax());
    }

    public int queuedRecords() {
        return batcher.queuedRecords();
    }

    /** Queues one validated request; the future completes once its batch is decided. */
    public Future<Answer> submit(PaymentRequest request, int sizeBytes) {
        if (draining) {
            // Never queued, never published: the client retries on another instance.
            metrics.shed(GatewayMeters.Shed.DRAINING);
            return Future.succeededFuture(Answer.unavailable("draining"));
        }
        if (inLane.containsKey(request.paymentId())) {
            return Future.succeededFuture(Answer.of(Answer.Kind.IN_FLIGHT));
        }
        if (committedIds.full() || laneMarks.full()) {
            metrics.shed(GatewayMeters.Shed.STORE_BEHIND);
            return Future.succeededFuture(Answer.unavailable("store_behind"));
        }
        Ownership.Claims claims = ownership.claims(request.tenant(), request.customerId(), request.paymentMethod());
        if (claims.refusedEarly()) {
            // The lane's cache knows the owner: no queue, no database, nothing published.
            return Future.succeededFuture(notOwned(request));
        }
        if (!shares.tryEnter(request.tenant())) {
            // Before the queue fills: a flooding tenant is refused here, and the others find room.
            metrics.shed(GatewayMeters.Shed.QUEUE_SHARE);
            return Future.succeededFuture(Answer.of(Answer.Kind.OVER_SHARE));
        }
        Promise<Answer> promise = Promise.promise();
        Item item = new Item(request, claims, promise, System.nanoTime());
        if (!batcher.offer(item, sizeBytes, nowMs())) {
            shares.left(request.tenant());
            metrics.shed(GatewayMeters.Shed.QUEUE_FULL);
            return Future.succeededFuture(Answer.unavailable("queue_full"));
        }
        inLane.put(request.paymentId(), item);
        maybeDrain();
        return promise.future();
    }

    /**
     * Stops taking requests and flushes what is queued at once, batch after batch, each committed or
     * aborted and every client answered as usual. Completes when the lane holds nothing. Call it on
     * the lane's context.
     */
    public Future<Void> drain() {
        draining = true;
        maybeDrain();
        return drained.future();
    }

    private void maybeDrain() {
        if (batchInFlight) {
            return; // the batch in flight calls back here when it is done
        }
        long now = nowMs();
        if (batcher.queuedRecords() == 0 && !marksWaiting.isEmpty()) {
            // No batch to carry the marks: write them now, the lane being idle.
            flushMarks();
        }
        if (draining && batcher.queuedRecords() == 0) {
            if (marksWaiting.isEmpty() && !markInFlight) {
                drained.tryComplete(); // this lane's marks are written
            }
            return; // a mark in flight calls back here when it is done
        }
        if (batcher.needsDrain(now) || draining) {
            List<Item> batch = batcher.drain();
            for (Item i : batch) {
                shares.left(i.request().tenant());
            }
            batchInFlight = true;
            long batchNumber = laneMarks.nextBatch();
            runBatch(batch, batchNumber).onComplete(settled -> {
                // Only a batch whose every row is committed or gone may join a range of committed batches.
                laneMarks.close(batchNumber, settled.succeeded() && settled.result());
                batchInFlight = false;
                for (Item i : batch) {
                    inLane.remove(i.request().paymentId());
                }
                maybeDrain();
            });
        } else {
            long deadline = batcher.nextDeadlineMs();
            if (deadline != Long.MAX_VALUE && deadline < timerDeadlineMs) {
                if (timerId >= 0) {
                    vertx.cancelTimer(timerId);
                }
                timerDeadlineMs = deadline;
                timerId = vertx.setTimer(Math.max(1, deadline - now), id -> {
                    timerId = -1;
                    timerDeadlineMs = Long.MAX_VALUE;
                    maybeDrain();
                });
            }
        }
    }

    /**
     * Runs batch {@code batchNumber}; completes with whether every row it reserved or took over is now
     * committed to Kafka or deleted: false when some may be left reserved with an unknown fate.
     */
    private Future<Boolean> runBatch(List<Item> batch, long batchNumber) {
        metrics.batchSize.record(batch.size());
        // The first item is the oldest: the batcher drains in arrival order.
        metrics.linger.record(System.nanoTime() - batch.get(0).queuedAtNanos(), TimeUnit.NANOSECONDS);
        List<PaymentRequest> requests = batch.stream().map(Item::request).toList();
        // Ids this batch reserved or took over: until the transaction is handed to Kafka, they are
        // known not to be published, so a failure before then gives them back.
        List<String> held = new ArrayList<>(batch.size());
        // Taken before reserving: no record of this batch can carry an earlier timestamp.
        long reservedAtMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        List<String> carried = takeMarks();
        List<LaneMarks.Range> ranges = laneMarks.toWrite();
        // Until the reserve and any takeover have answered, this batch's rows in PostgreSQL are not known.
        boolean[] rowsKnown = {false};
        String[] customerClaims = new String[batch.size()];
        String[] methodClaims = new String[batch.size()];
        for (int k = 0; k < batch.size(); k++) {
            customerClaims[k] = batch.get(k).claims().customer();
            methodClaims[k] = batch.get(k).claims().paymentMethod();
        }
        long statementStart = committedIds.statementStarts();
        return store.reserve(requests, customerClaims, methodClaims, batchNumber, ranges)
                .onComplete(ignored -> stageTime("reserve", t0))
                .onComplete(ar -> marked(carried, ranges, ar.succeeded()))
                .map(reservations -> reservations.stream()
                        .map(r -> acceptedIfCommitted(r, statementStart))
                        .toList())
                .onComplete(ignored -> committedIds.statementEnds(statementStart))
                .compose(reservations -> {
                    for (Reservation r : reservations) {
                        if (r.inserted()) {
                            held.add(r.paymentId());
                        }
                    }
                    return decide(batch, reservations, held, batchNumber);
                })
                .compose(items -> {
                    rowsKnown[0] = true;
                    return publish(items, reservedAtMs);
                })
                .recover(e -> {
                    log.warn(
                            "batch of {} failed before Kafka, releasing {}: {}",
                            batch.size(),
                            held.size(),
                            e.toString());
                    Future<Boolean> release = held.isEmpty()
                            ? Future.succeededFuture(rowsKnown[0])
                            : store.release(held).map(rowsKnown[0]).recover(releaseFailed -> {
                                // Left reserved: the restart settlement or the reservation timeout frees them.
                                log.warn(
                                        "could not release {} reservations: {}", held.size(), releaseFailed.toString());
                                return Future.succeededFuture(false);
                            });
                    return release.onComplete(ignored -> {
                        for (Item i : batch) {
                            i.answer().tryComplete(Answer.unavailable("store_unavailable"));
                        }
                    });
                });
    }

    /** Answers what the reservation settles, and returns the items to publish. */
    private Future<List<Item>> decide(
            List<Item> batch, List<Reservation> reservations, List<String> held, long batchNumber) {
        List<Item> toPublish = new ArrayList<>(batch.size());
        List<Item> stale = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            Item item = batch.get(k);
            Reservation r = reservations.get(k);
            if (!ownership.owned(item.request().tenant(), item.claims(), r.customerOwner(), r.methodOwner())) {
                // Never inserted by the statement: nothing is held, nothing published.
                item.answer().complete(notOwned(item.request()));
                continue;
            }
            switch (IdempotencyDecision.decide(item.request().fingerprint(), r, config.reservationTimeoutMs())) {
                case PUBLISH -> toPublish.add(item);
                case REPLAY -> {
                    log.atDebug()
                            .addKeyValue(Logging.PAYMENT_ID, item.request().paymentId())
                            .log("replayed: the key was accepted before");
                    item.answer().complete(Answer.replayed(r.ledgerStatus(), r.failureCode()));
                }
                case IN_FLIGHT -> {
                    log.atDebug()
                            .addKeyValue(Logging.PAYMENT_ID, item.request().paymentId())
                            .log("in flight under the same key: 409");
                    item.answer().complete(Answer.of(Answer.Kind.IN_FLIGHT));
                }
                case KEY_REUSED -> {
                    log.atInfo()
                            .addKeyValue(Logging.PAYMENT_ID, item.request().paymentId())
                            .log("key reused with a different request: 422");
                    item.answer().complete(Answer.of(Answer.Kind.KEY_REUSED));
                }
                case TAKE_OVER -> stale.add(item);
            }
        }
        if (stale.isEmpty()) {
            return Future.succeededFuture(toPublish);
        }
        List<String> staleIds = stale.stream().map(i -> i.request().paymentId()).toList();
        return store.takeOver(staleIds, config.reservationTimeoutMs(), batchNumber)
                .map(won -> {
                    for (Item i : stale) {
                        if (won.contains(i.request().paymentId())) {
                            held.add(i.request().paymentId());
                            metrics.takenOver.increment();
                            log.atInfo()
                                    .addKeyValue(Logging.PAYMENT_ID, i.request().paymentId())
                                    .log("took over a stale reservation: publishing it again");
                            toPublish.add(i);
                        } else {
                            i.answer().complete(Answer.of(Answer.Kind.IN_FLIGHT));
                        }
                    }
                    return toPublish;
                });
    }

    /** Publishes {@code items} in one transaction; completes with whether their rows are settled (see runBatch). */
    private Future<Boolean> publish(List<Item> items, long reservedAtMs) {
        if (items.isEmpty()) {
            return Future.succeededFuture(true);
        }
        if (faults.failBeforeSend(items.stream().map(Item::request).toList())) {
            throw new IllegalStateException("batch failed on purpose before Kafka");
        }
        long acceptedAtMs = System.currentTimeMillis();
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(items.size() + 1);
        // One analytics record for the batch, in the same transaction as its billing events.
        MetricsBatch.Builder accepted = new MetricsBatch.Builder(acceptedAtMs);
        for (Item i : items) {
            PaymentEvent event = i.request().toEvent(acceptedAtMs);
            records.add(new ProducerRecord<>(
                    Topics.BILLING,
                    null,
                    event.paymentId(),
                    event.toBytes(),
                    TraceHeaders.kafka(i.request().trace())));
            accepted.add(MetricsBatch.ACCEPTED, event.paymentId(), event.tenant(), event.amount(), event.currency());
        }
        for (MetricsBatch m : accepted.build()) {
            records.add(new ProducerRecord<>(Topics.METRICS, m.key(), m.toBytes()));
        }
        List<PaymentRequest> requests = items.stream().map(Item::request).toList();
        List<String> ids = requests.stream().map(PaymentRequest::paymentId).toList();
        boolean abort = faults.abortAfterSend(requests);
        long t0 = System.nanoTime();
        return Future.fromCompletionStage(publisher.publish(records, abort), context)
                .compose(
                        committed -> {
                            metrics.commit.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                            metrics.accepted.increment(items.size());
                            // The Kafka commit is the acceptance point. The mark rides on the next
                            // statement; until it commits, every lane of this process treats the ids as
                            // accepted, and a crash leaves them to the restart settlement, which finds
                            // them published.
                            committedIds.committed(ids);
                            marksWaiting.addAll(ids);
                            items.forEach(i -> {
                                // DEBUG: one line per payment is too many at INFO under load.
                                log.atDebug()
                                        .addKeyValue(
                                                Logging.PAYMENT_ID, i.request().paymentId())
                                        .log("accepted: published and committed");
                                i.answer().complete(Answer.of(Answer.Kind.ACCEPTED));
                            });
                            return Future.succeededFuture(true);
                        },
                        failed -> notAccepted(items, ids, reservedAtMs, failed));
    }

    /**
     * A batch whose transaction failed: its keys given back only when the transaction is known to be
     * aborted, and its clients answered {@code 503}. Completes with whether its rows are gone.
     */
    private Future<Boolean> notAccepted(List<Item> items, List<String> ids, long reservedAtMs, Throwable failed) {
        Throwable cause = ProducerErrors.unwrap(failed);
        TransactionalPublisher.Outcome outcome = cause instanceof TransactionalPublisher.TransactionFailedException tfe
                ? tfe.outcome()
                : TransactionalPublisher.Outcome.UNKNOWN;
        metrics.aborted(abortCause(cause), outcome.name().toLowerCase(Locale.ROOT));
        // Only a transaction known to be aborted may give its keys back at once. A decided one (the
        // producer was recreated after an unknown commit) is settled from payments.billing; an unknown
        // one keeps them reserved for the restart settlement or the reservation timeout.
        Future<Boolean> release = Future.succeededFuture(false);
        switch (outcome) {
            case ABORTED -> release = store.release(ids).map(true).recover(e -> Future.succeededFuture(false));
            case DECIDED -> settleDecided(ids, reservedAtMs);
            case UNKNOWN -> {}
        }
        return release.onComplete(ignored -> items.forEach(i -> {
            log.atDebug()
                    .addKeyValue(Logging.PAYMENT_ID, i.request().paymentId())
                    .log(
                            "not accepted: transaction {}, answered 503",
                            outcome.name().toLowerCase(Locale.ROOT));
            i.answer().complete(Answer.unavailable("transaction_failed"));
        }));
    }

    /**
     * Settles a batch whose commit outcome was unknown until the producer was recreated, in the
     * background: its clients are answered {@code 503} at once, and their retries answer {@code 409}
     * until this ends, then a replay (published) or a first acceptance (released). It never publishes.
     */
    private void settleDecided(List<String> ids, long reservedAtMs) {
        if (settlementsInFlight >= SETTLEMENTS_IN_FLIGHT_MAX) {
            metrics.unknownCommitSettlementsSkipped.increment();
            return;
        }
        settlementsInFlight++;
        List<IntentStore.OpenReservation> open = new ArrayList<>(ids.size());
        ids.forEach(id -> open.add(new IntentStore.OpenReservation(id, reservedAtMs)));
        settlement
                .settle(open, store::settleHeld)
                .onComplete(ignored -> settlementsInFlight--)
                .onSuccess(plan -> {
                    metrics.unknownCommitAccepted.increment(plan.published().size());
                    metrics.unknownCommitReleased.increment(plan.unpublished().size());
                    log.info(
                            "settled a batch whose commit outcome was unknown: {} published, {} released",
                            plan.published().size(),
                            plan.unpublished().size());
                    plan.published()
                            .forEach(id -> log.atInfo()
                                    .addKeyValue(Logging.PAYMENT_ID, id)
                                    .log("after an unknown commit: found published, accepted"));
                    plan.unpublished()
                            .forEach(id -> log.atInfo()
                                    .addKeyValue(Logging.PAYMENT_ID, id)
                                    .log("after an unknown commit: not published, reservation released"));
                })
                .onFailure(e -> {
                    // Left reserved: the restart settlement or the reservation timeout settles them.
                    metrics.unknownCommitSettlementsFailed.increment();
                    log.warn("could not settle {} reservations after an unknown commit: {}", ids.size(), e.toString());
                });
    }

    /** Counts and logs a payment refused for ownership; the log names no other tenant. */
    private Answer notOwned(PaymentRequest request) {
        metrics.notOwned.increment();
        log.atInfo()
                .addKeyValue(Logging.PAYMENT_ID, request.paymentId())
                .log("customer or payment method not owned by the payment's tenant: 422");
        return Answer.of(Answer.Kind.NOT_OWNED);
    }

    /** The waiting marks, handed to one statement; {@link #marked} settles them when it ends. */
    private List<String> takeMarks() {
        List<String> carried = List.copyOf(marksWaiting);
        marksWaiting.clear();
        return carried;
    }

    /** After a statement that carried {@code carried} and {@code ranges}: done, or waiting again for the next one. */
    private void marked(List<String> carried, List<LaneMarks.Range> ranges, boolean committed) {
        if (committed) {
            laneMarks.written(ranges);
            committedIds.marked(carried);
        } else if (!carried.isEmpty()) {
            log.warn("could not mark {} payments accepted; the next statement carries them", carried.size());
            marksWaiting.addAll(0, carried);
        }
    }

    /** Marks on their own, when no batch is there to carry them. */
    private void flushMarks() {
        if (markInFlight) {
            return;
        }
        markInFlight = true;
        List<String> carried = takeMarks();
        List<LaneMarks.Range> ranges = laneMarks.toWrite();
        long t0 = System.nanoTime();
        store.markAccepted(ranges).onComplete(ar -> {
            stageTime("mark_accepted", t0);
            markInFlight = false;
            marked(carried, ranges, ar.succeeded());
            if (ar.failed()) {
                // Retried by the next batch, or here after a pause: never in a tight loop.
                vertx.setTimer(MARK_RETRY_MS, id -> maybeDrain());
            } else {
                maybeDrain();
            }
        });
    }

    /** A reservation of a committed id that the statement sent at {@code start} read as reserved is accepted. */
    private Reservation acceptedIfCommitted(Reservation r, long start) {
        if (!r.inserted()
                && "reserved".equals(r.existingState())
                && committedIds.committedBefore(r.paymentId(), start)) {
            return r.readAsAccepted();
        }
        return r;
    }

    private void stageTime(String stage, long startNanos) {
        metrics.stage(stage, System.nanoTime() - startNanos);
    }

    /**
     * Why a transaction did not commit, as a closed set for the {@code cause} tag: a timeout (its
     * outcome unknown until the producer is re-initialised), fenced (another producer took the
     * transactional id), fatal (configuration or authorisation), or any other error.
     */
    static String abortCause(Throwable cause) {
        if (ProducerErrors.outcomeUnknown(cause)) {
            return "timeout";
        }
        Throwable t = cause instanceof TransactionalPublisher.TransactionFailedException && cause.getCause() != null
                ? cause.getCause()
                : cause;
        if (ProducerErrors.outcomeUnknown(t)) {
            return "timeout";
        }
        return switch (ProducerErrors.classify(t)) {
            case RECREATE -> "fenced";
            case FATAL -> "fatal";
            case ABORT -> "error";
        };
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }
}
