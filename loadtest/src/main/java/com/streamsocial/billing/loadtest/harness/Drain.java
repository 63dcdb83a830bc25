package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Times the processor draining a backlog: writes N valid billing events to {@code payments.billing}
 * in one Kafka transaction (so the processor, reading committed records only, sees the whole backlog
 * at once when it commits), then counts their outcomes on {@code payments.results} with a
 * {@link OutcomeCounter} until all N are in or the time limit passes.
 */
public final class Drain {
    /** The most events one drain writes (one transaction; the broker caps its duration). */
    public static final int EVENTS_MAX = 2_000_000;
    /** The pre-fill transaction's timeout: it must cover writing {@link #EVENTS_MAX} events. */
    public static final int TRANSACTION_TIMEOUT_MS = 600_000;

    public record Options(String bootstrap, int events, String tenant, String keyPrefix, long timeoutMs) {
        public Options {
            Check.argument(events > 0 && events <= EVENTS_MAX, "events must be 1 to %d", EVENTS_MAX);
            Check.argument(timeoutMs > 0, "timeout must be positive");
        }
    }

    /** What a drain measured; {@code drainedMs} is from the pre-fill's commit to the last outcome read. */
    public record Result(
            int events, long prefillMs, long drained, long firstOutcomeMs, long drainedMs, List<Sample> samples) {
        public boolean complete() {
            return drained == events;
        }

        public double recordsPerSecond() {
            return drainedMs <= 0 ? Double.NaN : drained * 1000.0 / drainedMs;
        }
    }

    private Drain() {}

    /** One billing event as the gateway would publish it for key {@code keyPrefix + i}. */
    public static PaymentEvent event(String tenant, String keyPrefix, long i, long nowMs) {
        String key = keyPrefix + i;
        long amount = 100 + i % 10_000;
        String customer = "cus_" + (i % 1_000);
        String canonical = "{\"amount\":" + amount + ",\"currency\":\"USD\",\"customer_id\":\"" + customer
                + "\",\"payment_method\":\"pm_card_visa\",\"description\":\"drain " + i
                + "\",\"metadata\":{\"run\":\"" + keyPrefix + "\"}}";
        return new PaymentEvent(
                PaymentIds.paymentId(tenant, key),
                tenant,
                key,
                PaymentIds.fingerprint(canonical),
                amount,
                "USD",
                customer,
                "pm_card_visa",
                "drain " + i,
                Map.of("run", keyPrefix),
                nowMs);
    }

    /**
     * Writes {@code events} billing events for keys {@code keyPrefix + i} to {@code topic} in one
     * Kafka transaction, handing each payment id to {@code onId}; returns once it has committed.
     */
    public static void prefill(
            String bootstrap, String topic, int events, String tenant, String keyPrefix, Consumer<String> onId) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaSafety.transactionalProducer(
                Map.of("bootstrap.servers", bootstrap, "linger.ms", 5, "batch.size", 262_144),
                "loadtest-prefill-" + UUID.randomUUID(),
                TRANSACTION_TIMEOUT_MS))) {
            producer.initTransactions();
            producer.beginTransaction();
            long nowMs = System.currentTimeMillis();
            for (int i = 0; i < events; i++) {
                PaymentEvent e = event(tenant, keyPrefix, i, nowMs);
                onId.accept(e.paymentId());
                producer.send(new ProducerRecord<>(topic, e.paymentId(), e.toBytes()));
            }
            producer.commitTransaction();
        }
    }

    public static Result run(Options o, Consumer<String> progress) throws Exception {
        try (OutcomeCounter outcomes = OutcomeCounter.start(o.bootstrap())) {
            long t0 = System.nanoTime();
            long commitNanos;
            prefill(o.bootstrap(), Topics.BILLING, o.events(), o.tenant(), o.keyPrefix(), outcomes::track);
            commitNanos = System.nanoTime();
            long prefillMs = (commitNanos - t0) / 1_000_000;
            progress.accept(String.format(
                    "pre-filled %d billing events in %d ms (one transaction); draining...", o.events(), prefillMs));
            List<Sample> samples = new ArrayList<>();
            long deadline = commitNanos + o.timeoutMs() * 1_000_000;
            long last = commitNanos;
            long lastCount = 0;
            long firstOutcomeNanos = 0;
            while (outcomes.count() < o.events() && System.nanoTime() < deadline) {
                if (outcomes.failure() != null) {
                    throw outcomes.failure();
                }
                Thread.sleep(Math.max(1, Math.min(1_000, (last + 1_000_000_000L - System.nanoTime()) / 1_000_000)));
                long now = System.nanoTime();
                long c = outcomes.count();
                if (firstOutcomeNanos == 0 && c > 0) {
                    firstOutcomeNanos = now;
                }
                if (now - last >= 1_000_000_000L || c >= o.events()) {
                    Sample s = new Sample(
                            (now - commitNanos) / 1e9,
                            (now - last) / 1e9,
                            0,
                            0,
                            0,
                            c - lastCount,
                            Double.NaN,
                            Double.NaN,
                            Double.NaN,
                            o.events() - c,
                            Map.of());
                    samples.add(s);
                    progress.accept(String.format(
                            "t=%6.1fs outcomes %7.0f/s drained %d of %d",
                            s.tSeconds(), s.outcomesPerSecond(), c, o.events()));
                    last = now;
                    lastCount = c;
                }
            }
            long drained = outcomes.count();
            long end = drained == 0 ? System.nanoTime() : outcomes.lastOutcomeNanos();
            return new Result(
                    o.events(),
                    prefillMs,
                    drained,
                    firstOutcomeNanos == 0 ? -1 : (firstOutcomeNanos - commitNanos) / 1_000_000,
                    (end - commitNanos) / 1_000_000,
                    samples);
        }
    }
}
