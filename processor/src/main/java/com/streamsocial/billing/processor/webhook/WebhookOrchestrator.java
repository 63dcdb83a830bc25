package com.streamsocial.billing.processor.webhook;

import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.batch.OutcomeRecords;
import com.streamsocial.billing.processor.batch.PublishedOutcomes;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.refund.RefundOrchestrator;
import com.streamsocial.billing.processor.refund.StoredRefund;
import com.streamsocial.billing.processor.store.LedgerStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a polled batch of {@code payments.webhooks} records is sequenced (issue 21 §2): each
 * event decoded ({@link WebhookDecoder}, pure), applied once in its own PostgreSQL transaction ({@link
 * WebhookStore}), in the partition's order; then the outcomes of the payments and refunds it decided,
 * built by the code the billing and refund paths use, for the loop to write in the batch's Kafka
 * transaction with the offsets. A record read again after its application committed emits again only
 * what {@link PublishedOutcomes} says is not on {@code payments.results}.
 */
public final class WebhookOrchestrator {
    private static final Logger log = LoggerFactory.getLogger(WebhookOrchestrator.class);

    private final WebhookStore store;
    private final LedgerStore ledger;
    private final PublishedOutcomes published;
    private final ProcessorMeters metrics;

    public WebhookOrchestrator(
            WebhookStore store, LedgerStore ledger, PublishedOutcomes published, ProcessorMeters metrics) {
        this.store = store;
        this.ledger = ledger;
        this.published = published;
        this.metrics = metrics;
    }

    /** What the batch's transaction writes; fails, and the batch is read again, if PostgreSQL does. */
    public Future<List<ProducerRecord<String, byte[]>>> process(List<WebhookInput> batch) {
        List<WebhookStore.Applied> applied = new ArrayList<>(batch.size());
        Future<Void> chain = Future.succeededFuture();
        for (WebhookInput in : batch) {
            chain = chain.compose(v -> store.apply(in, WebhookDecoder.decode(in.provider(), in.eventType(), in.body()))
                    .map(a -> {
                        applied.add(a);
                        log.info(
                                "webhook {} {} of {} at {}:{}: {}{}",
                                in.provider(),
                                in.eventType(),
                                in.eventId(),
                                in.partition(),
                                in.offset(),
                                a.outcome().wire(),
                                a.replay() ? " (read again)" : "");
                        return null;
                    }));
        }
        return chain.compose(v -> emit(applied));
    }

    private Future<List<ProducerRecord<String, byte[]>>> emit(List<WebhookStore.Applied> applied) {
        List<StoredPayment> decided = new ArrayList<>();
        List<String> replayedPayments = new ArrayList<>();
        List<String> refundIds = new ArrayList<>();
        for (WebhookStore.Applied a : applied) {
            metrics.webhookApplied(a.outcome()).increment();
            if (a.decided() != null) {
                decided.add(a.decided());
            } else if (a.replay() && a.paymentId() != null) {
                replayedPayments.add(a.paymentId());
            }
            refundIds.addAll(a.refundsDecided());
        }
        return reEmitted(replayedPayments)
                .compose(again -> store.refunds(refundIds).map(refunds -> {
                    List<StoredPayment> all = new ArrayList<>(decided);
                    all.addAll(again);
                    List<ProducerRecord<String, byte[]>> out =
                            new ArrayList<>(OutcomeRecords.of(all, System.currentTimeMillis()));
                    for (StoredRefund r : refunds) {
                        if (r.state().isFinal()) {
                            out.add(RefundOrchestrator.outcome(r));
                        }
                    }
                    metrics.outcomesEmitted.increment(all.size());
                    metrics.outcomesReemitted.increment(again.size());
                    return out;
                }));
    }

    /**
     * The stored outcomes of payments that replayed applications decided, not already committed: a
     * replayed application whose payment is not decided by it (a refund, a dispute) finds a payment
     * whose outcome is committed and emits nothing.
     */
    private Future<List<StoredPayment>> reEmitted(List<String> paymentIds) {
        if (paymentIds.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return ledger.stored(paymentIds).compose(rows -> {
            List<StoredPayment> finals =
                    rows.values().stream().filter(p -> p.status().isFinal()).toList();
            return published.committed(finals).map(done -> {
                metrics.outcomesAlreadyCommitted.increment(done.size());
                return finals.stream()
                        .filter(p -> !done.contains(p.paymentId()))
                        .toList();
            });
        });
    }
}
