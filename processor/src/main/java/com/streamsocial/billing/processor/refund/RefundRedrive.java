package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.refund.RefundReason;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Re-drives refunds through {@code payments.refunds}, marked as re-driven (header {@code redrive}): the
 * processor's own path then resumes each one as it resumes any record read again, so a refund is
 * decided once (the ledger's {@code status = 'refunding'} guard and one {@code refund} entry per refund
 * id), a pending one is looked up by its provider id, and one never answered is posted again under the
 * same provider idempotency key (its refund id), which the provider answers with its first refund.
 */
public final class RefundRedrive {
    /** Refunds re-driven in one call at most: the sweep's pass and a repair's list are smaller. */
    public static final int REFUNDS_PER_SEND_MAX = 10_000;

    /** How long a send waits for the log's acknowledgement of each record at most. */
    static final long ACK_WAIT_MS = 60_000;

    /**
     * Each refund's event as the gateway accepted it ({@code refund_intents}): its refund id derives
     * from its tenant and key, which only the intent holds. A refund the gateway published and then
     * lost before its own commit has none; reconciliation reads its record back from the log instead.
     */
    private static final String EVENTS = """
            SELECT i.refund_id, i.payment_id, i.tenant, i.idempotency_key, i.request_hash, i.amount, i.currency,
                   i.reason, (extract(epoch FROM i.accepted_at) * 1000)::bigint
            FROM refund_intents i WHERE i.refund_id = ANY($1::text[])""";

    private RefundRedrive() {}

    /** The events of {@code refundIds} whose intents the database holds, in no particular order. */
    public static Future<List<RefundEvent>> events(SqlClient db, List<String> refundIds) {
        if (refundIds.size() > REFUNDS_PER_SEND_MAX) {
            return Future.failedFuture(new IllegalArgumentException(
                    "at most " + REFUNDS_PER_SEND_MAX + " refunds at once, got " + refundIds.size()));
        }
        return db.preparedQuery(EVENTS)
                .execute(Tuple.of((Object) refundIds.toArray(String[]::new)))
                .map(rows -> {
                    List<RefundEvent> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(new RefundEvent(
                                r.getString(0),
                                r.getString(1),
                                r.getString(2),
                                r.getString(3),
                                r.getString(4),
                                r.getLong(5),
                                r.getString(6).trim(),
                                Optional.ofNullable(r.getString(7)).flatMap(RefundReason::fromWire),
                                r.getLong(8)));
                    }
                    return out;
                });
    }

    /**
     * Sends {@code events} with {@code producer} (idempotent, acks=all), the header saying {@code
     * source}, and returns once the log has acknowledged each: blocking, so never on an event loop.
     */
    public static void send(KafkaProducer<String, byte[]> producer, List<RefundEvent> events, String source)
            throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>(events.size());
        for (RefundEvent e : events) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.REFUNDS, e.paymentId(), e.toBytes());
            r.headers().add(InputRecord.REDRIVE_HEADER, source.getBytes(StandardCharsets.UTF_8));
            sent.add(producer.send(r));
        }
        producer.flush();
        for (java.util.concurrent.Future<?> f : sent) {
            f.get(ACK_WAIT_MS, TimeUnit.MILLISECONDS);
        }
    }
}
