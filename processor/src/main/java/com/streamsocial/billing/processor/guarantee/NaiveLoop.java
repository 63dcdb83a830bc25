package com.streamsocial.billing.processor.guarantee;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.kafka.TransactionalLoop;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FOR DEMONSTRATION ONLY: the naive consumer of {@link Guarantee#AT_LEAST_ONCE} and {@link
 * Guarantee#AT_MOST_ONCE}, on one thread with a plain consumer and a non-transactional (idempotent)
 * producer. Per polled batch, at-least-once processes ({@link NaiveBatch}), publishes, then commits
 * the offsets with {@code commitSync}: a crash before the commit reads the batch again and charges
 * and publishes it again. At-most-once commits first, then processes: a crash after the commit loses
 * the batch. The fault hook ({@link TransactionalLoop.Faults}) holds batch {@code stallOnBatch} in
 * exactly that window, so a test can kill the process there.
 */
public final class NaiveLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(NaiveLoop.class);

    public enum State {
        STARTING,
        POLLING,
        PROCESSING,
        COMMITTING,
        STOPPED,
        FATAL;

        /**
         * At-least-once goes POLLING, PROCESSING, COMMITTING; at-most-once POLLING, COMMITTING,
         * PROCESSING; a failed batch goes from PROCESSING back to POLLING. Never a state to itself.
         */
        boolean canTransitionTo(State next) {
            return switch (this) {
                case STARTING -> next == POLLING || next == STOPPED || next == FATAL;
                case POLLING -> next == PROCESSING || next == COMMITTING || next == STOPPED || next == FATAL;
                case PROCESSING -> next == POLLING || next == COMMITTING || next == STOPPED || next == FATAL;
                case COMMITTING -> next == POLLING || next == PROCESSING || next == STOPPED || next == FATAL;
                case STOPPED, FATAL -> false;
            };
        }
    }

    /** Wait before an at-least-once batch that failed is read again. */
    static final long RETRY_BACKOFF_MS = 500;

    private final Guarantee guarantee;
    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final long pollMs;
    private final long processTimeoutMs;
    private final TransactionalLoop.Faults faults;
    private final Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process;
    private final ProcessorMeters metrics;
    /** Registered at start, like every processor meter: rate() then sees the first failure. */
    private final Counter failedBatches;

    private final CountDownLatch finished = new CountDownLatch(1);

    private volatile boolean running = true;
    private volatile State state = State.STARTING;
    private volatile Throwable fatalCause;
    private long batches;
    private KafkaConsumer<byte[], byte[]> consumer;

    public NaiveLoop(
            Guarantee guarantee,
            Map<String, Object> consumerConfig,
            Map<String, Object> producerConfig,
            long pollMs,
            long processTimeoutMs,
            TransactionalLoop.Faults faults,
            Function<List<InputRecord>, CompletableFuture<List<ProducerRecord<String, byte[]>>>> process,
            ProcessorMeters metrics) {
        Check.argument(guarantee != Guarantee.EXACTLY_ONCE, "exactly-once is the TransactionalLoop");
        this.guarantee = guarantee;
        this.consumerConfig = Map.copyOf(consumerConfig);
        this.producerConfig = Map.copyOf(producerConfig);
        this.pollMs = pollMs;
        this.processTimeoutMs = processTimeoutMs;
        this.faults = faults;
        this.process = process;
        this.metrics = metrics;
        this.failedBatches = metrics.naiveFailedBatches();
    }

    public State state() {
        return state;
    }

    public Throwable fatalCause() {
        return fatalCause;
    }

    @Override
    public void run() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
            consumer = new KafkaConsumer<>(consumerConfig);
            consumer.subscribe(List.of(Topics.BILLING));
            transitionTo(State.POLLING);
            while (running) {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(pollMs));
                if (!polled.isEmpty() && running) {
                    handle(polled, producer);
                }
            }
        } catch (WakeupException e) {
            // stop() woke the consumer up.
        } catch (RuntimeException | Error e) {
            fatalCause = e;
            transitionTo(State.FATAL);
            log.error("naive {} loop failed fatally", guarantee.wire(), e);
        } finally {
            if (consumer != null) {
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            }
            if (state != State.FATAL) {
                transitionTo(running ? State.FATAL : State.STOPPED);
            }
            finished.countDown();
        }
    }

    private void handle(ConsumerRecords<byte[], byte[]> polled, KafkaProducer<String, byte[]> producer) {
        batches++;
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        List<InputRecord> batch = new ArrayList<>(polled.count());
        for (TopicPartition tp : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> recs = polled.records(tp);
            first.put(tp, recs.get(0).offset());
            next.put(tp, new OffsetAndMetadata(recs.get(recs.size() - 1).offset() + 1));
            for (ConsumerRecord<byte[], byte[]> r : recs) {
                batch.add(InputRecord.decode(r.partition(), r.offset(), r.key(), r.value(), false));
            }
        }
        if (guarantee == Guarantee.AT_MOST_ONCE) {
            // Committed before anything is done: whatever happens next, this batch is never read again.
            transitionTo(State.COMMITTING);
            consumer.commitSync(next);
            stallIfAsked("after its offset commit, before processing");
        }
        transitionTo(State.PROCESSING);
        try {
            List<ProducerRecord<String, byte[]>> outputs =
                    process.apply(batch).get(processTimeoutMs, TimeUnit.MILLISECONDS);
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>(outputs.size());
            for (ProducerRecord<String, byte[]> r : outputs) {
                sent.add(producer.send(r));
            }
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(processTimeoutMs, TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            failedBatches.increment();
            if (guarantee == Guarantee.AT_MOST_ONCE) {
                log.warn("naive at-most-once: a batch of {} failed and is lost: {}", batch.size(), e.toString());
                transitionTo(State.POLLING);
                return;
            }
            // At-least-once: read it again, charging again whatever was charged before the failure.
            log.warn("naive at-least-once: a batch of {} failed, reading it again: {}", batch.size(), e.toString());
            first.forEach((tp, offset) -> {
                if (consumer.assignment().contains(tp)) {
                    consumer.seek(tp, offset);
                }
            });
            sleep(RETRY_BACKOFF_MS);
            transitionTo(State.POLLING);
            return;
        }
        if (guarantee == Guarantee.AT_LEAST_ONCE) {
            stallIfAsked("after charging and publishing, before its offset commit");
            transitionTo(State.COMMITTING);
            consumer.commitSync(next);
        }
        // The same names as the exactly-once loop's, so that health checks and chaos see progress.
        metrics.batchesCommitted.increment();
        metrics.records.increment(batch.size());
        transitionTo(State.POLLING);
    }

    private void stallIfAsked(String where) {
        if (faults.stallOnBatch() > 0 && batches == faults.stallOnBatch()) {
            // A log line (one JSON object with log.format=json); the crash tests wait for its text.
            log.warn("FAULT: stalling batch {} {} for {} ms", batches, where, faults.stallMs());
            sleep(faults.stallMs());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops after the batch in hand, waiting at most {@code timeout}; false when it was still in it. */
    public boolean stop(Duration timeout) throws InterruptedException {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (!finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("naive loop did not stop within {}", timeout);
            return false;
        }
        return true;
    }

    private void transitionTo(State next) {
        Check.state(state.canTransitionTo(next), "naive loop: invalid transition from %s to %s", state, next);
        state = next;
    }
}
