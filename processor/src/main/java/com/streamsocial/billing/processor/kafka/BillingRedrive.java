package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.dedup.InputRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends billing events again to payments.billing, marked as re-driven (header {@code redrive}), so
 * that the processor loop owning each one re-emits its stored outcome if payments.results does not
 * hold it committed. Idempotent producer, acks=all; a record sent twice is a duplicate the planner
 * answers with nothing. The producer is made on first use.
 */
public final class BillingRedrive implements AutoCloseable {
    private final Map<String, Object> kafka;
    private final String source;
    private volatile KafkaProducer<String, byte[]> producer;

    /** {@code source}: the header's value, saying who re-drove (for the logs of a post-mortem). */
    public BillingRedrive(Map<String, Object> kafka, String source) {
        this.kafka = Map.copyOf(kafka);
        this.source = source;
    }

    /** Completes when every event is acknowledged; fails with the first send that failed. */
    public Future<Void> send(List<PaymentEvent> events) {
        if (events.isEmpty()) {
            return Future.succeededFuture();
        }
        Promise<Void> done = Promise.promise();
        AtomicInteger left = new AtomicInteger(events.size());
        KafkaProducer<String, byte[]> p = producer();
        for (PaymentEvent e : events) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.BILLING, e.paymentId(), e.toBytes());
            r.headers().add(InputRecord.REDRIVE_HEADER, source.getBytes(StandardCharsets.UTF_8));
            p.send(r, (meta, error) -> {
                if (error != null) {
                    done.tryFail(error);
                } else if (left.decrementAndGet() == 0) {
                    done.tryComplete();
                }
            });
        }
        return done.future();
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(KafkaSafety.idempotentProducer(kafka));
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
