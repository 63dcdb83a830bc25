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
 * refund ledger, under the payments' row locks), refund (the provider, idempotent per refund id) or,
 * for a refund the provider left pending, look it up by its provider id, record (the ledger, with its
 * {@code refund} entries, each refund decided once), emit (the outcomes and dead letters the loop
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
        List<RefundProvider.RefundLookup> lookups = new ArrayList<>();
        for (RefundPlanner.Step s : claim.steps()) {
            if (s instanceof RefundPlanner.Refund || s instanceof RefundPlanner.Resume) {
                StoredRefund r = claim.stored().get(s.refundId());
                if (s instanceof RefundPlanner.Resume && r.providerRef() != null) {
                    // The provider made this refund and left it pending: asked about by its id, never
                    // posted again (a POST could make a second refund once its idempotency key expired).
                    lookups.add(new RefundProvider.RefundLookup(
                            r.refundId(),
                            r.paymentId(),
                            r.providerRef(),
                            r.amountMinor(),
                            r.currency(),
                            spans.context(r.refundId())));
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
        if (calls.isEmpty() && lookups.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        Future<List<RefundProvider.RefundResult>> posted =
                calls.isEmpty() ? Future.succeededFuture(List.of()) : provider.refund(calls);
        return posted.compose(results -> lookedUp(lookups).map(found -> {
                    List<RefundProvider.RefundResult> all = new ArrayList<>(results);
                    all.addAll(found);
                    return all;
                }))
                .compose(results -> ledger.record(results.stream()
                        .map(x -> new RefundLedger.Answer(
                                x.refundId(), x.succeeded(), x.providerRef(), x.failureCode(), x.pendingStatus()))
                        .toList()));
    }

    /**
     * The lookups' answers; none when the provider gives none by the deadline: the refunds stay
     * pending (recorded as they are) and the batch commits, so that a provider outage never stalls
     * the refunds' partition. The sweep ({@link PendingRefundSweep}) asks again after its back-off.
     */
    private Future<List<RefundProvider.RefundResult>> lookedUp(List<RefundProvider.RefundLookup> lookups) {
        if (lookups.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return provider.lookup(lookups).recover(e -> {
            log.warn("{} pending refunds not looked up, asked again later: {}", lookups.size(), e.toString());
            return Future.succeededFuture(List.of());
        });
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
