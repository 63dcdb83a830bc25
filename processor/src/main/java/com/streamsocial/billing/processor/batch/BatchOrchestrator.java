package com.streamsocial.billing.processor.batch;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.dedup.BatchPlanner;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.Plan;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.tracing.ItemSpans;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a polled batch is orchestrated: plan (what the ledger holds, sorted by the pure
 * planner, which only this class calls), charge (the provider), record (the ledger), emit (the records the loop writes in the batch's transaction). The ledger, the
 * provider and the published outcomes are ports that never call each other; only this class sequences
 * them. A stored outcome is re-emitted only when {@link PublishedOutcomes} says it is not committed.
 */
public final class BatchOrchestrator {
    private static final Logger log = LoggerFactory.getLogger(BatchOrchestrator.class);

    private final LedgerStore ledger;
    private final PaymentProvider provider;
    private final PublishedOutcomes published;
    private final ProcessorMeters metrics;
    private final Tracing tracing;

    /** Without spans: the no-op tracer, which still carries each record's trace context to the provider. */
    public BatchOrchestrator(
            LedgerStore ledger, PaymentProvider provider, PublishedOutcomes published, ProcessorMeters metrics) {
        this(ledger, provider, published, metrics, Tracing.off());
    }

    /** Each payment processed gets a span of {@code tracing}, the child of its record's trace context. */
    public BatchOrchestrator(
            LedgerStore ledger,
            PaymentProvider provider,
            PublishedOutcomes published,
            ProcessorMeters metrics,
            Tracing tracing) {
        this.ledger = ledger;
        this.provider = provider;
        this.published = published;
        this.metrics = metrics;
        this.tracing = tracing;
    }

    /**
     * Decides one batch and returns what its transaction writes: outcomes (with their metrics
     * events) and dead letters. Fails, and writes nothing, if any payment's answer is unknown.
     */
    public Future<List<ProducerRecord<String, byte[]>>> process(List<InputRecord> batch) {
        return plan(batch)
                .compose(
                        claim -> unpublished(claim.plan().toReEmit()).compose(reEmit -> chargeAndRecord(claim, reEmit)))
                .map(this::emit);
    }

    /**
     * A batch's plan, and for each replay whose earlier answer was not final, the provider's object to
     * ask about instead of creating a new one.
     */
    private record Claim(Plan plan, Map<String, String> intents) {}

    /**
     * Plans the batch from what the ledger holds (one read; a new payment is written only with its
     * answer), then has the ledger mark the replays of unfinished rows and record the conflicts
     * before anything is charged.
     */
    private Future<Claim> plan(List<InputRecord> batch) {
        List<String> ids = BatchPlanner.claimCandidates(batch).stream()
                .map(r -> r.event().paymentId())
                .toList();
        return ledger.stored(ids).compose(rows -> {
            Set<String> newIds = new HashSet<>();
            for (String id : ids) {
                if (!rows.containsKey(id)) {
                    newIds.add(id);
                }
            }
            Plan plan = BatchPlanner.plan(batch, newIds, rows);
            List<String> replays = plan.toProcess().stream()
                    .map(r -> r.event().paymentId())
                    .filter(id -> !newIds.contains(id))
                    .toList();
            return ledger.markReplays(replays, plan.conflicts()).map(intents -> new Claim(plan, intents));
        });
    }

    /**
     * The decided part of one batch: what was planned, the stored outcomes re-emitted, and the outcomes
     * to emit (those and the new ones).
     */
    private record Decided(Plan plan, List<StoredPayment> reEmitted, List<StoredPayment> outcomes) {}

    /** The stored outcomes to re-emit: those not already committed on payments.results. */
    private Future<List<StoredPayment>> unpublished(List<StoredPayment> stored) {
        if (stored.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return published.committed(stored).map(done -> {
            metrics.outcomesAlreadyCommitted.increment(done.size());
            for (StoredPayment p : stored) {
                if (done.contains(p.paymentId())) {
                    log.atWarn()
                            .addKeyValue(Logging.PAYMENT_ID, p.paymentId())
                            .log("record read again after its outcome was committed: no second outcome");
                }
            }
            return stored.stream().filter(p -> !done.contains(p.paymentId())).toList();
        });
    }

    private Future<Decided> chargeAndRecord(Claim claim, List<StoredPayment> reEmit) {
        Plan plan = claim.plan();
        if (plan.toProcess().isEmpty()) {
            return Future.succeededFuture(new Decided(plan, reEmit, reEmit));
        }
        // One span per payment processed, the child of its record's context; its provider calls carry it.
        ItemSpans spans = ItemSpans.start(
                tracing, "process payment", plan.toProcess(), r -> r.event().paymentId(), InputRecord::trace);
        List<PaymentProvider.Charge> charges = plan.toProcess().stream()
                .map(r -> new PaymentProvider.Charge(
                        r.event().paymentId(),
                        r.event().amount(),
                        r.event().currency(),
                        r.event().customerId(),
                        r.event().paymentMethod(),
                        r.event().tenant(),
                        claim.intents().get(r.event().paymentId()),
                        spans.context(r.event().paymentId())))
                .toList();
        List<PaymentProvider.Charge> fresh =
                charges.stream().filter(c -> c.intentId() == null).toList();
        List<InputRecord> records = plan.toProcess();
        Future<List<StoredPayment>> decided = fresh.isEmpty()
                ? provider.charge(charges).compose(results -> record(records, results))
                : provider.prepare(fresh)
                        .compose(prepared -> prepared.isEmpty()
                                ? provider.charge(charges).compose(results -> record(records, results))
                                : twoSteps(records, charges, prepared));
        decided.onComplete(ar -> endSpans(spans, ar.succeeded() ? ar.result() : null, ar.cause()));
        return decided.map(d -> {
            List<StoredPayment> outcomes = new ArrayList<>(reEmit.size() + d.size());
            outcomes.addAll(reEmit);
            outcomes.addAll(d);
            for (StoredPayment p : d) {
                // DEBUG: one line per payment is too many at INFO under load; the outcome is on payments.results.
                log.atDebug()
                        .addKeyValue(Logging.PAYMENT_ID, p.paymentId())
                        .log(
                                "payment decided: {}{}",
                                p.status().name().toLowerCase(java.util.Locale.ROOT),
                                p.failureCode() == null ? "" : " (" + p.failureCode() + ")");
            }
            return new Decided(plan, reEmit, outcomes);
        });
    }

    /** Each payment's span ended with its status (or pending, when no final answer was recorded). */
    private static void endSpans(ItemSpans spans, List<StoredPayment> decided, Throwable failure) {
        if (decided == null) {
            spans.fail(failure);
            return;
        }
        Map<String, String> outcomes = new HashMap<>(decided.size() * 2);
        for (StoredPayment p : decided) {
            outcomes.put(p.paymentId(), p.status().name().toLowerCase(java.util.Locale.ROOT));
        }
        spans.end(outcomes, "pending");
    }

    /**
     * A two-step provider's second step. The first step's objects are recorded (committed, the
     * recovery point: a replay charges them, never makes another) before the second is asked for;
     * payments the first step already ended (a decline, a mismatch) are not charged.
     */
    private Future<List<StoredPayment>> twoSteps(
            List<InputRecord> records,
            List<PaymentProvider.Charge> charges,
            List<PaymentProvider.ChargeResult> prepared) {
        List<PaymentProvider.Charge> second = secondStep(charges, prepared);
        return record(records, prepared)
                .compose(first -> (second.isEmpty()
                                ? Future.succeededFuture(List.<PaymentProvider.ChargeResult>of())
                                : provider.charge(second))
                        .compose(results -> record(records, results))
                        .map(rest -> {
                            List<StoredPayment> all = new ArrayList<>(first.size() + rest.size());
                            all.addAll(first);
                            all.addAll(rest);
                            return all;
                        }));
    }

    /**
     * The charges a two-step provider's second step makes: each with the object its first step made
     * (or already had), without the payments the first step ended (a decline, a mismatch). The naive
     * guarantees sequence their two steps by it as well.
     */
    public static List<PaymentProvider.Charge> secondStep(
            List<PaymentProvider.Charge> charges, List<PaymentProvider.ChargeResult> prepared) {
        Map<String, String> objects = new HashMap<>();
        Set<String> ended = new HashSet<>();
        for (PaymentProvider.ChargeResult r : prepared) {
            if (r.verdict() == PaymentProvider.Verdict.PENDING && r.intentId() != null) {
                objects.put(r.paymentId(), r.intentId());
            } else {
                ended.add(r.paymentId());
            }
        }
        List<PaymentProvider.Charge> second = charges.stream()
                .filter(c -> !ended.contains(c.paymentId()))
                .map(c -> c.intentId() != null || !objects.containsKey(c.paymentId())
                        ? c
                        : new PaymentProvider.Charge(
                                c.paymentId(),
                                c.amount(),
                                c.currency(),
                                c.customerId(),
                                c.paymentMethod(),
                                c.tenant(),
                                objects.get(c.paymentId()),
                                c.trace()))
                .toList();
        return second;
    }

    /**
     * The answers recorded in the ledger's own terms ({@link LedgerAnswers}). A new payment's row is
     * written only here, so another record of the same payment could have written it since the plan
     * read the ledger (two instances on one partition, and a second record of the payment): an
     * outcome stored by a record other than the one processed is not this record's to emit. The batch
     * fails instead, and its re-read plans that record as the duplicate or conflict it is.
     */
    private Future<List<StoredPayment>> record(List<InputRecord> records, List<PaymentProvider.ChargeResult> results) {
        return ledger.record(records, LedgerAnswers.of(results)).compose(stored -> {
            Map<String, InputRecord> byPayment = new HashMap<>();
            records.forEach(r -> byPayment.putIfAbsent(r.event().paymentId(), r));
            for (StoredPayment p : stored) {
                InputRecord r = byPayment.get(p.paymentId());
                if (r != null && !r.redrive() && !p.claimedBy(r)) {
                    return Future.failedFuture(new IllegalStateException("payment " + p.paymentId()
                            + " was recorded by another record while this batch charged it: the batch is read again"));
                }
            }
            return Future.succeededFuture(stored);
        });
    }

    private List<ProducerRecord<String, byte[]>> emit(Decided d) {
        List<ProducerRecord<String, byte[]>> out =
                new ArrayList<>(d.outcomes().size() + 1 + d.plan().deadLetters().size());
        out.addAll(OutcomeRecords.of(d.outcomes(), System.currentTimeMillis()));
        for (StoredPayment p : d.reEmitted()) {
            log.atDebug()
                    .addKeyValue(Logging.PAYMENT_ID, p.paymentId())
                    .log("payment's stored outcome re-emitted (a replayed record)");
        }
        for (InputRecord r : d.plan().duplicates()) {
            log.atDebug()
                    .addKeyValue(Logging.PAYMENT_ID, r.event().paymentId())
                    .log("duplicate billing record at {}:{}, no second outcome", r.partition(), r.offset());
        }
        for (Plan.Conflict c : d.plan().conflicts()) {
            log.atWarn()
                    .addKeyValue(Logging.PAYMENT_ID, c.record().event().paymentId())
                    .log(
                            "billing record at {}:{} reuses a known key with a different request: recorded as a"
                                    + " conflict, no outcome",
                            c.record().partition(),
                            c.record().offset());
        }
        for (Plan.DeadLetter dl : d.plan().deadLetters()) {
            // No payment id: the record did not decode, and its raw key is untrusted input.
            log.warn(
                    "billing record at {}:{} sent to payments.dlq: {}",
                    dl.record().partition(),
                    dl.record().offset(),
                    dl.error().code().wire());
            out.add(deadLetter(dl));
            metrics.deadLetter(dl.error().code()).increment();
        }
        metrics.outcomesEmitted.increment(d.outcomes().size());
        metrics.outcomesReemitted.increment(d.reEmitted().size());
        metrics.duplicates.increment(d.plan().duplicates().size());
        metrics.conflicts.increment(d.plan().conflicts().size());
        return out;
    }

    /**
     * The original record, value and key unchanged, with the error and its source in headers (see
     * {@link DeadLetters}); written in the batch's transaction, so it is there exactly when the
     * batch's offsets are committed.
     */
    private static ProducerRecord<String, byte[]> deadLetter(Plan.DeadLetter d) {
        InputRecord r = d.record();
        return DeadLetters.of(
                Topics.BILLING,
                r.partition(),
                r.offset(),
                r.key(),
                r.rawKey(),
                r.value(),
                d.error().code().wire(),
                d.error().message());
    }
}
