package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.TopicReader;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Test support for the webhook ITs of both providers (issue 21 §2): what the processor counted
 * ({@code processor.webhooks.applied{outcome}}), waits on those counts, a record of
 * {@code payments.webhooks} published again past the gateway (as a crash between its commits would),
 * the outcomes on a topic once the processor consumed every webhook record, and reconciliation's
 * refund breaks of one payment.
 */
final class WebhookProbe {
    private static final List<String> OUTCOMES =
            List.of("applied", "duplicate", "stale", "unknown_object", "malformed", "bound_exceeded", "ignored");

    private final ProviderStack stack;
    private final Processor processor;

    WebhookProbe(ProviderStack stack, Processor processor) {
        this.stack = stack;
        this.processor = processor;
    }

    /** How many webhook events the processor read with {@code outcome} so far. */
    double applied(String outcome) {
        Counter c = processor
                .metrics()
                .registry()
                .find("processor.webhooks.applied")
                .tag("outcome", outcome)
                .counter();
        return c == null ? 0 : c.count();
    }

    /** Webhook events the processor read so far, whatever became of them. */
    double processed() {
        double n = 0;
        for (String o : OUTCOMES) {
            n += applied(o);
        }
        return n;
    }

    /** Waits until {@code n} more events than {@code before} were read; their effects are checked after. */
    void awaitProcessed(double before, int n) throws Exception {
        assertThat(Await.until(() -> processed() >= before + n, 60_000))
                .as("events read: %s, expected %s", processed(), before + n)
                .isTrue();
    }

    void awaitApplied(String outcome, double atLeast) throws Exception {
        assertThat(Await.until(() -> applied(outcome) >= atLeast, 60_000))
                .as("%s events: %s, expected at least %s", outcome, applied(outcome), atLeast)
                .isTrue();
    }

    /** The gateway's records of event {@code eventId} on payments.webhooks ({@code committed}: read_committed). */
    List<ConsumerRecord<String, byte[]>> records(String eventId, boolean committed) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.WEBHOOKS, committed)) {
            Header h = r.headers().lastHeader("webhook.event_id");
            if (h != null && eventId.equals(new String(h.value(), StandardCharsets.UTF_8))) {
                out.add(r);
            }
        }
        return out;
    }

    /** The gateway's record of event {@code eventId} on payments.webhooks, published again {@code times}. */
    void redeliver(String eventId, int times) {
        List<ConsumerRecord<String, byte[]>> published = records(eventId, true);
        assertThat(published).as("the gateway published %s", eventId).isNotEmpty();
        ConsumerRecord<String, byte[]> original = published.get(0);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                Map.of("bootstrap.servers", stack.infra.kafkaBootstrap()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < times; i++) {
                p.send(new ProducerRecord<>(
                        Topics.WEBHOOKS, null, original.key(), original.value(), original.headers()));
            }
            p.flush();
        }
    }

    /** The records of {@code topic} keyed {@code paymentId}, read once the processor consumed every webhook record and no transaction is open. */
    List<JsonObject> outcomes(String topic, String paymentId) {
        List<JsonObject> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : Quiescence.readAfterConsumed(
                        stack.infra.kafkaBootstrap(),
                        "billing-processor",
                        Topics.WEBHOOKS,
                        List.of(topic),
                        Duration.ofMinutes(2))
                .get(topic)) {
            if (paymentId.equals(r.key())) {
                out.add(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /**
     * The refund breaks reconciliation finds for {@code paymentId} (the others' are other tests'):
     * where the ledger and the provider's settlement report disagree about what was refunded.
     */
    static List<String> refundBreaks(ReconcileReport report, String paymentId) {
        return report.ids(BreakClass.REFUND_MISMATCH).stream()
                .filter(paymentId::equals)
                .toList();
    }
}
