package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.Decoded;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The yardstick for the processor's drain: a minimal read-process-write loop on the same broker, at
 * the same transaction size and with the same consumer settings, that decodes each billing event and
 * writes two records for it (as the processor writes an outcome and a metrics event) with the
 * offsets in the transaction (KIP-447), and does nothing else: no PostgreSQL, no provider. It reads
 * its own input topic, so the running processor never sees these events.
 */
public final class RpwBaseline {
    public static final String INPUT = "loadtest.rpw-input";
    public static final String OUTPUT = "loadtest.rpw-output";
    /** Loops at most (each a consumer, a transactional producer and a thread). */
    public static final int LOOPS_MAX = 64;

    public record Options(String bootstrap, int events, int loops, int batchRecordsMax, long timeoutMs) {
        public Options {
            Check.argument(events > 0 && events <= Drain.EVENTS_MAX, "events must be 1 to %d", Drain.EVENTS_MAX);
            Check.argument(loops >= 1 && loops <= LOOPS_MAX, "loops must be 1 to %d", LOOPS_MAX);
            Check.argument(batchRecordsMax >= 1, "batch must be positive");
        }
    }

    /** What the loop measured: records read and written, and from the pre-fill's commit to the last commit. */
    public record Result(int events, long prefillMs, long processed, long drainedMs, long transactions) {
        public double recordsPerSecond() {
            return drainedMs <= 0 ? Double.NaN : processed * 1000.0 / drainedMs;
        }
    }

    private RpwBaseline() {}

    public static Result run(Options o, Consumer<String> progress) throws Exception {
        int partitions = ensureTopics(o.bootstrap());
        String run = UUID.randomUUID().toString();
        long commitNanos;
        AtomicLong processed = new AtomicLong();
        AtomicLong transactions = new AtomicLong();
        AtomicLong lastCommitNanos = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        String group = "loadtest-rpw-" + run;
        List<Thread> threads = new ArrayList<>();
        long deadline = System.nanoTime() + o.timeoutMs() * 1_000_000;
        AtomicInteger[] assigned = new AtomicInteger[o.loops()];
        for (int k = 0; k < o.loops(); k++) {
            int loop = k;
            assigned[k] = new AtomicInteger();
            Thread t = new Thread(
                    () -> {
                        try {
                            loop(
                                    o,
                                    group,
                                    run,
                                    loop,
                                    assigned[loop],
                                    processed,
                                    transactions,
                                    lastCommitNanos,
                                    deadline);
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                        }
                    },
                    "rpw-baseline-" + k);
            t.start();
            threads.add(t);
        }
        // The loops join the group before the backlog exists, as a running processor has: the time
        // measured is the drain, not the group's first rebalance.
        while (Arrays.stream(assigned).mapToInt(AtomicInteger::get).sum() < partitions
                && System.nanoTime() < deadline
                && failure.get() == null) {
            Thread.sleep(100);
        }
        long t0 = System.nanoTime();
        Drain.prefill(o.bootstrap(), INPUT, o.events(), "default", "rpw-" + run + "-", id -> {});
        commitNanos = System.nanoTime();
        long prefillMs = (commitNanos - t0) / 1_000_000;
        progress.accept(String.format(
                "pre-filled %d events on %s in %d ms; %d loops reading them...",
                o.events(), INPUT, prefillMs, o.loops()));
        while (processed.get() < o.events() && System.nanoTime() < deadline && failure.get() == null) {
            Thread.sleep(1_000);
            long now = System.nanoTime();
            progress.accept(String.format(
                    "t=%6.1fs processed %d of %d in %d transactions",
                    (now - commitNanos) / 1e9, processed.get(), o.events(), transactions.get()));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return new Result(
                o.events(),
                prefillMs,
                processed.get(),
                (lastCommitNanos.get() - commitNanos) / 1_000_000,
                transactions.get());
    }

    /**
     * Creates {@link #INPUT} and {@link #OUTPUT} with as many partitions as {@code payments.billing} has
     * (the processor's parallelism), unless they exist; that number of partitions.
     */
    private static int ensureTopics(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            int partitions = admin.describeTopics(Set.of(Topics.BILLING))
                    .allTopicNames()
                    .get()
                    .get(Topics.BILLING)
                    .partitions()
                    .size();
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (String t : List.of(INPUT, OUTPUT)) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, partitions, (short) 1));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
            return partitions;
        }
    }

    private static void loop(
            Options o,
            String group,
            String run,
            int k,
            AtomicInteger assigned,
            AtomicLong processed,
            AtomicLong transactions,
            AtomicLong lastCommitNanos,
            long deadline) {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", o.bootstrap());
        c.put("max.poll.records", o.batchRecordsMax());
        // The processor's fetch settings, so that batches fill the same way.
        c.put("fetch.min.bytes", 64 * 1024);
        c.put("fetch.max.wait.ms", 20);
        Map<String, Object> consumerConfig = KafkaSafety.readCommittedConsumer(c, group);
        // A new group starts at the end: only this run's events, which are written after it joins.
        consumerConfig.put("auto.offset.reset", "latest");
        consumerConfig.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        consumerConfig.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaSafety.transactionalProducer(
                        Map.of("bootstrap.servers", o.bootstrap()), "loadtest-rpw-" + run + "-" + k, 60_000))) {
            producer.initTransactions();
            consumer.subscribe(List.of(INPUT));
            while (processed.get() < o.events() && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (consumer.assignment().size() != assigned.get()) {
                    // Resolve the start positions ("latest") before the backlog is written.
                    consumer.assignment().forEach(consumer::position);
                    assigned.set(consumer.assignment().size());
                }
                if (records.isEmpty()) {
                    continue;
                }
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<String, byte[]> r : records) {
                    // The minimal "process": decode the event, write two records for it.
                    byte[] out = PaymentEvent.decode(r.value()) instanceof Decoded.Ok<PaymentEvent> ok
                            ? ok.value().toBytes()
                            : r.value();
                    producer.send(new ProducerRecord<>(OUTPUT, r.key(), out));
                    producer.send(new ProducerRecord<>(OUTPUT, r.key(), out));
                    offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                transactions.incrementAndGet();
                processed.addAndGet(records.count());
                lastCommitNanos.accumulateAndGet(System.nanoTime(), Math::max);
            }
        }
    }
}
