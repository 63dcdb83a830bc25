package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.batch.DeadLetters;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.refund.RefundPlanner;
import com.streamsocial.billing.tracing.ItemSpans;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a polled batch of refund records is sequenced (issue 21 §1): plan and claim (the
 * refund ledger, under the payments' row locks), refund (the provider, idempotent per refund id),
 * record (the ledger, with its {@code refund} entries), emit (the outcomes and dead letters the loop
 * writes in the batch's transaction, with the offsets).
 */
public final class RefundOrchestrator {
    private static final Logger log = LoggerFactory.getLogger(RefundOrchestrator.class);

    private final RefundLedger ledger;
    private final RefundProvider provider;
    private final Tracing tracing;

    /** Each refund processed gets a span of {@code tracing}, the child of its record's trace context. */
    public RefundOrchestrator(RefundLedger ledger, RefundProvider provider, Tracing tracing) {
        this.ledger = ledger;
        this.provider = provider;
        this.tracing = tracing;
    }

    /** What the batch's transaction writes; fails, writing nothing, if any refund's answer is unknown. */
    public Future<List<ProducerRecord<String, byte[]>>> process(List<RefundInput> batch) {
        List<RefundInput> decoded =
                batch.stream().filter(r -> r.event() != null).toList();
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        for (RefundInput r : batch) {
            if (r.event() == null) {
                log.warn(
                        "refund record at {}:{} sent to payments.dlq: {}",
                        r.partition(),
                        r.offset(),
                        r.error().code().wire());
                out.add(deadLetter(r, r.error().code().wire(), r.error().message()));
            }
        }
        if (decoded.isEmpty()) {
            return Future.succeededFuture(out);
        }
        ItemSpans spans = ItemSpans.start(
                tracing, "process refund", decoded, r -> r.event().refundId(), RefundInput::trace);
        return ledger.claim(decoded)
                .compose(claim -> refundAndRecord(claim, spans).map(decided -> {
                    for (RefundPlanner.Step s : claim.steps()) {
                        StoredRefund stored = claim.stored().get(s.refundId());
                        if ((s instanceof RefundPlanner.Refuse || s instanceof RefundPlanner.Reemit)
                                && stored != null
                                && stored.state().isFinal()) {
                            out.add(outcome(stored));
                        } else if (s instanceof RefundPlanner.Conflict c) {
                            RefundInput in = decoded.stream()
                                    .filter(r -> r.offset() == c.request().offset()
                                            && r.partition() == c.request().partition())
                                    .findFirst()
                                    .orElseThrow();
                            out.add(deadLetter(in, "unplannable", "refund id known with another request or payment"));
                        }
                    }
                    decided.stream().filter(d -> d.state().isFinal()).forEach(d -> out.add(outcome(d)));
                    Map<String, String> outcomes = new HashMap<>();
                    decided.forEach(
                            d -> outcomes.put(d.refundId(), d.state().name().toLowerCase(Locale.ROOT)));
                    spans.end(outcomes, "not_refunded_in_this_batch");
                    return out;
                }))
                .onFailure(spans::fail);
    }

    private Future<List<StoredRefund>> refundAndRecord(RefundLedger.Claim claim, ItemSpans spans) {
        List<RefundProvider.RefundCall> calls = new ArrayList<>();
        for (RefundPlanner.Step s : claim.steps()) {
            if (s instanceof RefundPlanner.Refund || s instanceof RefundPlanner.Resume) {
                StoredRefund r = claim.stored().get(s.refundId());
                if (s instanceof RefundPlanner.Resume && r.providerRef() != null) {
                    // The provider made this refund and left it pending: posting again could make a
                    // second one once its idempotency key expires, and asking by its id is not built
                    // yet. It stays refunding, with no outcome; reconciliation reports it stuck_refund.
                    log.warn(
                            "refund {} of payment {} is pending at the provider as {}: not posted again",
                            r.refundId(),
                            r.paymentId(),
                            r.providerRef());
                    continue;
                }
                RefundLedger.Payment p = claim.payments().get(r.paymentId());
                calls.add(new RefundProvider.RefundCall(
                        r.refundId(),
                        r.paymentId(),
                        r.tenant(),
                        r.amountMinor(),
                        r.currency(),
                        p.providerRef(),
                        null,
                        spans.context(r.refundId())));
            }
        }
        if (calls.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return provider.refund(calls)
                .compose(results -> ledger.record(results.stream()
                        .map(x -> new RefundLedger.Answer(
                                x.refundId(), x.succeeded(), x.providerRef(), x.failureCode(), x.pendingStatus()))
                        .toList()));
    }

    /** The outcome record of a final refund: the one place it is built. */
    public static ProducerRecord<String, byte[]> outcome(StoredRefund r) {
        return new ProducerRecord<>(
                Topics.REFUND_RESULTS, r.paymentId(), r.outcome().toBytes());
    }

    private static ProducerRecord<String, byte[]> deadLetter(RefundInput r, String code, String message) {
        return DeadLetters.of(Topics.REFUNDS, r.partition(), r.offset(), r.key(), r.rawKey(), r.value(), code, message);
    }
}
