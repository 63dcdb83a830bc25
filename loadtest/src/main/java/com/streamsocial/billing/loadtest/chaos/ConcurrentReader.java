package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Position;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Read;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The checker that runs while the faults happen: a read_committed consumer without a group, assigned
 * every partition of payments.billing, payments.metrics and payments.results from the beginning, that
 * records every record it is handed (for {@link ChaosChecks#abortedReads} afterwards) and checks at
 * once that its offsets only move forward; and a poller of the processors' committed group offsets,
 * which must never move back. Both run on their own daemon threads. A failure of either is recorded
 * ({@link #failures}), never swallowed: a checker that stopped checking must fail the run.
 */
final class ConcurrentReader implements AutoCloseable {
    /** How often the processors' committed offsets are read. */
    static final long GROUP_POLL_MS = 1_000;

    private static final List<String> TOPICS = List.of(Topics.BILLING, Topics.METRICS, Topics.RESULTS);

    private final String bootstrap;
    private final String groupId;
    private final List<Read> reads = new ArrayList<>();
    private final Set<String> billingIds = ConcurrentHashMap.newKeySet();
    private final Set<String> outcomeIds = ConcurrentHashMap.newKeySet();
    private final List<Violation> violations = new ArrayList<>();
    private final OffsetOrder readerOrder = new OffsetOrder();
    private final OffsetOrder groupOrder = new OffsetOrder();
    private final AtomicLong lastOutcomeNanos = new AtomicLong();
    private final AtomicLong groupPolls = new AtomicLong();
    private final Thread reader;
    private final Thread groupPoller;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private final List<String> failures = new ArrayList<>();

    ConcurrentReader(String bootstrap, String groupId) {
        this.bootstrap = bootstrap;
        this.groupId = groupId;
        this.reader = new Thread(this::read, "chaos-checker-reader");
        this.groupPoller = new Thread(this::pollGroup, "chaos-checker-group");
        reader.setDaemon(true);
        groupPoller.setDaemon(true);
    }

    void start() {
        reader.start();
        groupPoller.start();
    }

    private void read() {
        Map<String, Object> pass = new HashMap<>();
        pass.put("bootstrap.servers", bootstrap);
        pass.put("max.poll.records", 2_000);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(pass, null))) {
            consumer = c;
            if (!running) {
                return;
            }
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : TOPICS) {
                c.partitionsFor(t, Duration.ofSeconds(60))
                        .forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (running) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    Position p = new Position(r.topic(), r.partition(), r.offset());
                    synchronized (this) {
                        reads.add(new Read(p, r.key()));
                        readerOrder
                                .observe("reader " + r.topic() + "-" + r.partition(), r.offset(), true)
                                .ifPresent(violations::add);
                    }
                    if (r.topic().equals(Topics.BILLING)) {
                        billingIds.add(r.key());
                    } else if (r.topic().equals(Topics.RESULTS)) {
                        outcomeIds.add(r.key());
                        lastOutcomeNanos.set(System.nanoTime());
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // close()
        } catch (Exception e) {
            fail("reader", e);
        } finally {
            // Closed now: close() must not wake it.
            consumer = null;
        }
    }

    private void pollGroup() {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                5_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                5_000))) {
            while (running) {
                try {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                            .partitionsToOffsetAndMetadata()
                            .get(6, TimeUnit.SECONDS);
                    synchronized (this) {
                        committed.forEach((tp, om) -> {
                            if (om != null) {
                                groupOrder
                                        .observe("group " + groupId + " " + tp, om.offset(), false)
                                        .ifPresent(violations::add);
                            }
                        });
                    }
                    groupPolls.incrementAndGet();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // The broker is down (on purpose): try again next time.
                } catch (RuntimeException e) {
                    // A bug or an unexpected answer: recorded (the run fails on it), and the polling goes on.
                    fail("group-offset poller", e);
                }
                Thread.sleep(GROUP_POLL_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Admin.create failed: no poll at all.
            fail("group-offset poller", e);
        }
    }

    private synchronized void fail(String who, Exception e) {
        failures.add(who + ": " + e);
    }

    synchronized List<Read> reads() {
        return List.copyOf(reads);
    }

    synchronized List<Violation> violations() {
        return List.copyOf(violations);
    }

    Set<String> billingIds() {
        return billingIds;
    }

    Set<String> outcomeIds() {
        return outcomeIds;
    }

    long lastOutcomeNanos() {
        return lastOutcomeNanos.get();
    }

    long groupPolls() {
        return groupPolls.get();
    }

    /** What made the reader or the poller fail, one entry each time; empty when both worked throughout. */
    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        // Wakes a reader blocked in partitionsFor or poll while the broker is away.
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        groupPoller.interrupt();
        reader.join(10_000);
        groupPoller.join(10_000);
    }
}
