package com.streamsocial.billing.processor.batch;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The records that announce decided payments: one outcome each on {@code payments.results} and their
 * decisions in per-batch records of {@code payments.metrics}. The one place they are built, for a
 * billing batch and for a payment a webhook decided alike.
 */
public final class OutcomeRecords {
    private OutcomeRecords() {}

    /** The records of {@code decided} (final payments), stamped {@code nowMs} in the metrics records. */
    public static List<ProducerRecord<String, byte[]>> of(List<StoredPayment> decided, long nowMs) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(decided.size() + 1);
        // One analytics record for the batch's decisions (a few for a very large batch), in the same
        // transaction as its outcomes.
        MetricsBatch.Builder metrics = new MetricsBatch.Builder(nowMs);
        for (StoredPayment p : decided) {
            OutcomeEvent o = new OutcomeEvent(
                    p.paymentId(),
                    p.tenant(),
                    p.idempotencyKey(),
                    p.status(),
                    p.amount(),
                    p.currency(),
                    p.failureCode(),
                    p.providerRef(),
                    p.decidedAtMs());
            out.add(new ProducerRecord<>(Topics.RESULTS, p.paymentId(), o.toBytes()));
            String type = p.status() == PaymentStatus.SUCCEEDED ? MetricsBatch.SUCCEEDED : MetricsBatch.FAILED;
            metrics.add(type, p.paymentId(), p.tenant(), p.amount(), p.currency());
        }
        for (MetricsBatch m : metrics.build()) {
            out.add(new ProducerRecord<>(Topics.METRICS, m.key(), m.toBytes()));
        }
        return out;
    }
}
