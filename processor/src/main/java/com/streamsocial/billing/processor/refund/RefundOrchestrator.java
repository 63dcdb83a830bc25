package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.events.DeadLetterHeaders;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.refund.RefundPlanner;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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

    public RefundOrchestrator(RefundLedger ledger, RefundProvider provider) {
        this.ledger = ledger;
        this.provider = provider;
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
        return ledger.claim(decoded)
                .compose(claim -> refundAndRecord(claim).map(decided -> {
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
                    return out;
                }));
    }

    private Future<List<StoredRefund>> refundAndRecord(RefundLedger.Claim claim) {
        List<RefundProvider.RefundCall> calls = new ArrayList<>();
        for (RefundPlanner.Step s : claim.steps()) {
            if (s instanceof RefundPlanner.Refund || s instanceof RefundPlanner.Resume) {
                StoredRefund r = claim.stored().get(s.refundId());
                RefundLedger.Payment p = claim.payments().get(r.paymentId());
                calls.add(new RefundProvider.RefundCall(
                        r.refundId(), r.paymentId(), r.tenant(), r.amountMinor(), r.currency(), p.providerRef(), null));
            }
        }
        if (calls.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return provider.refund(calls)
                .compose(results -> ledger.record(results.stream()
                        .map(x ->
                                new RefundLedger.Answer(x.refundId(), x.succeeded(), x.providerRef(), x.failureCode()))
                        .toList()));
    }

    private static ProducerRecord<String, byte[]> outcome(StoredRefund r) {
        return new ProducerRecord<>(
                Topics.REFUND_RESULTS, r.paymentId(), r.outcome().toBytes());
    }

    private static ProducerRecord<String, byte[]> deadLetter(RefundInput r, String code, String message) {
        ProducerRecord<String, byte[]> dlq = new ProducerRecord<>(Topics.DLQ, r.key(), r.value());
        String m = message.length() > DeadLetterHeaders.MESSAGE_CHARS_MAX
                ? message.substring(0, DeadLetterHeaders.MESSAGE_CHARS_MAX)
                : message;
        dlq.headers()
                .add(DeadLetterHeaders.ERROR_CODE, utf8(code))
                .add(DeadLetterHeaders.ERROR_MESSAGE, utf8(m))
                .add(DeadLetterHeaders.SOURCE_TOPIC, utf8(Topics.REFUNDS))
                .add(DeadLetterHeaders.SOURCE_PARTITION, utf8(Integer.toString(r.partition())))
                .add(DeadLetterHeaders.SOURCE_OFFSET, utf8(Long.toString(r.offset())));
        if (r.rawKey() != null) {
            dlq.headers().add(DeadLetterHeaders.SOURCE_KEY, r.rawKey());
        }
        return dlq;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
