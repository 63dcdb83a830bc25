package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts the outcomes committed to {@code payments.results} for the payments this harness tracks, by
 * a {@code read_committed} consumer without a group (assigned every partition, from the end at start).
 * An outcome counts once per payment id, and only for ids registered with {@link #track}, so other
 * traffic and re-emitted outcomes do not disturb the count. Exact, unlike the processor's
 * {@code processor_outcomes_emitted_total}, which is incremented before its transaction commits and
 * counts everyone's payments. It reads keys only; the values are not parsed.
 */
public final class OutcomeCounter implements AutoCloseable {
    /** The most payment ids one run may track (memory: about 100 bytes each). */
    public static final int TRACKED_IDS_MAX = 5_000_000;

    private static final Duration POLL = Duration.ofMillis(100);

    private final Set<String> tracked = ConcurrentHashMap.newKeySet();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicLong counted = new AtomicLong();
    private final AtomicLong lastOutcomeNanos = new AtomicLong();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Exception failure;

    private OutcomeCounter(Map<String, Object> client) {
        Map<String, Object> pass = new java.util.HashMap<>(client);
        pass.putIfAbsent("max.poll.records", 5_000);
        this.consumer = new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(pass, null));
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // Resolve the end positions now, so that nothing committed after start() returns is skipped.
        partitions.forEach(consumer::position);
        this.thread = new Thread(this::loop, "outcome-counter");
        this.thread.setDaemon(true);
    }

    /** Positions at the current end of payments.results and starts counting. */
    public static OutcomeCounter start(String bootstrap) {
        return start(Map.of("bootstrap.servers", bootstrap));
    }

    /**
     * The same with the Kafka client settings {@code client} ({@code bootstrap.servers}, and TLS or
     * SASL settings for a secured cluster); read_committed is forced whatever they say.
     */
    public static OutcomeCounter start(Map<String, Object> client) {
        OutcomeCounter c = new OutcomeCounter(client);
        c.thread.start();
        return c;
    }

    /** Registers a payment id whose outcome should count; false when {@link #TRACKED_IDS_MAX} is reached. */
    public boolean track(String paymentId) {
        if (tracked.size() >= TRACKED_IDS_MAX) {
            return false;
        }
        tracked.add(paymentId);
        return true;
    }

    /** Distinct tracked payments with a committed outcome so far. */
    public long count() {
        return counted.get();
    }

    /** {@link System#nanoTime()} when the last counted outcome was read, 0 if none. */
    public long lastOutcomeNanos() {
        return lastOutcomeNanos.get();
    }

    /** Why the reader stopped, or null while it runs. */
    public Exception failure() {
        return failure;
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    String id = r.key();
                    // An outcome can be read before the harness registered its id only if the id was
                    // never sent by this run: ids are tracked before their request leaves.
                    if (id != null && tracked.contains(id) && seen.add(id)) {
                        counted.incrementAndGet();
                        lastOutcomeNanos.set(System.nanoTime());
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // close() asked us to stop.
        } catch (Exception e) {
            failure = e;
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
