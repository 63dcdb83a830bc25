package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.Decoded;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.refund.RefundRedrive;
import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.refund.RefundEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The re-drive onto {@code payments.billing}: each payment's event as the ledger holds it, or, for a
 * payment missing in the ledger, its accepted record read back from the log; each with the re-drive
 * header. Refunds go onto {@code payments.refunds} the same way ({@link RefundRedrive}).
 */
final class BillingRedrive implements Redrive {
    private final ReconcileResources resources;

    BillingRedrive(ReconcileResources resources) {
        this.resources = resources;
    }

    @Override
    public void send(List<String> paymentIds) throws Exception {
        try (KafkaProducer<String, byte[]> producer = resources.producer()) {
            List<PaymentEvent> events = ReconcileSession.await(
                    LedgerStore.events(resources.session().connection(), paymentIds));
            List<Future<?>> sent = new ArrayList<>();
            Set<String> fromLedger = new HashSet<>();
            for (PaymentEvent e : events) {
                sent.add(producer.send(redriven(e.paymentId(), e.toBytes())));
                fromLedger.add(e.paymentId());
            }
            // Missing in the ledger: the accepted event itself, read back from payments.billing.
            List<String> fromLog =
                    paymentIds.stream().filter(id -> !fromLedger.contains(id)).toList();
            if (!fromLog.isEmpty()) {
                Set<String> wanted = new HashSet<>(fromLog);
                resources.scan(Topics.BILLING, false, r -> {
                    if (r.key() != null && wanted.remove(r.key())) {
                        sent.add(producer.send(redriven(r.key(), r.value())));
                    }
                });
            }
            producer.flush();
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void sendRefunds(List<String> refundIds) throws Exception {
        List<RefundEvent> events = new ArrayList<>(
                ReconcileSession.await(RefundRedrive.events(resources.session().connection(), refundIds)));
        // Without an accepted intent (the gateway lost it after publishing): the record read back from the log.
        Set<String> wanted = new HashSet<>(refundIds);
        events.forEach(e -> wanted.remove(e.refundId()));
        if (!wanted.isEmpty()) {
            resources.scan(Topics.REFUNDS, false, r -> {
                if (RefundEvent.decode(r.value()) instanceof Decoded.Ok<RefundEvent> ok
                        && wanted.remove(ok.value().refundId())) {
                    RefundEvent e = ok.value();
                    events.add(e);
                }
            });
        }
        try (KafkaProducer<String, byte[]> producer = resources.producer()) {
            RefundRedrive.send(producer, events, "reconciliation");
        }
    }

    private static ProducerRecord<String, byte[]> redriven(String key, byte[] value) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.BILLING, key, value);
        r.headers().add(InputRecord.REDRIVE_HEADER, "reconciliation".getBytes(StandardCharsets.UTF_8));
        return r;
    }
}
