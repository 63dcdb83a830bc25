package com.streamsocial.billing.gateway.kafka;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.kafka.ProducerErrors;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One transactional producer and the one thread that owns it. Each {@link #publish} call is one Kafka
 * transaction: begin, send every record, commit. The calls block, so they run on this dedicated,
 * named thread and never on an event loop; the caller gets a {@link CompletableFuture} back.
 *
 * <p>At most one transaction is open at a time, and at most {@link #QUEUED_CALLS_MAX} calls wait.
 */
public final class TransactionalPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalPublisher.class);

    /** The gateway keeps one batch in flight per publisher; a little slack covers close and probes. */
    public static final int QUEUED_CALLS_MAX = 4;

    /**
     * How often a commit that timed out is tried again before its outcome is left unknown. Kafka
     * documents {@code commitTransaction} as retriable after a {@code TimeoutException}: the retry
     * waits for the same commit, it never commits twice. Each try blocks up to {@code max.block.ms}.
     */
    public static final int COMMIT_TIMEOUT_RETRIES_MAX = 3;

    /**
     * How long a new producer's {@code initTransactions} is tried again after it timed out, before the
     * producer is given up (FATAL, then a liveness restart). A broker's restart took 13-15 s in the
     * 50-kill chaos run and up to 33 s on a loaded machine; the commit's tries and the abort had
     * already used 15-20 s of it, so one 5 s call fell short and each gateway was restarted only to
     * call it again. Kafka documents {@code initTransactions} as safe to call again after a timeout.
     */
    public static final long INIT_TRANSACTIONS_RETRY_MS_MAX = 60_000;

    public enum State {
        NEW,
        READY,
        IN_TRANSACTION,
        COMMITTING,
        ABORTING,
        FATAL,
        CLOSED;

        boolean canTransitionTo(State next) {
            return switch (this) {
                case NEW -> next == READY || next == FATAL || next == CLOSED;
                case READY -> next == IN_TRANSACTION || next == READY || next == FATAL || next == CLOSED;
                case IN_TRANSACTION -> next == COMMITTING || next == ABORTING || next == READY || next == FATAL;
                case COMMITTING -> next == READY || next == ABORTING || next == FATAL;
                case ABORTING -> next == READY || next == FATAL;
                case FATAL -> next == CLOSED;
                case CLOSED -> false;
            };
        }
    }

    /** How a failed transaction ended: decides what may be released and what the client is told. */
    public enum Outcome {
        /** Nothing of it can ever become visible to a read_committed reader. */
        ABORTED,
        /**
         * The commit may or may not have happened (for example, a commit timed out), and nothing has
         * decided it yet: the producer could not be recreated.
         */
        UNKNOWN,
        /**
         * The commit's outcome was unknown to this producer, and a new producer with the same
         * {@code transactional.id} has since passed {@code initTransactions}, which completes a
         * commit the broker had begun and aborts anything else. The transaction is decided, and
         * {@code payments.billing} (read_committed) shows which way.
         */
        DECIDED
    }

    /** A transaction that did not commit, with what is known of its effect. */
    public static final class TransactionFailedException extends RuntimeException {
        private final Outcome outcome;

        TransactionFailedException(Outcome outcome, String message, Throwable cause) {
            super(message, cause);
            this.outcome = outcome;
        }

        public Outcome outcome() {
            return outcome;
        }
    }

    private final Map<String, Object> config;
    private final String transactionalId;
    private final ThreadPoolExecutor thread;
    private Producer<String, byte[]> producer; // touched on the dedicated thread only
    private volatile State state = State.NEW;
    private volatile Throwable fatalCause;
    private final Counter commitRetries;
    /** Calls of {@code initTransactions} that timed out, retried or not: what a test waits for. */
    private final AtomicLong initTimeouts = new AtomicLong();

    /** {@code commitRetries} counts commits tried again after a timeout. */
    public TransactionalPublisher(Map<String, Object> producerConfig, Counter commitRetries) {
        this.config = Map.copyOf(producerConfig);
        this.commitRetries = commitRetries;
        this.transactionalId = String.valueOf(producerConfig.get("transactional.id"));
        this.thread = new ThreadPoolExecutor(
                1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUED_CALLS_MAX), r -> {
                    Thread t = new Thread(r, "kafka-tx-" + transactionalId);
                    t.setDaemon(true);
                    return t;
                });
    }

    public State state() {
        return state;
    }

    public Throwable fatalCause() {
        return fatalCause;
    }

    /** Calls of {@code initTransactions} that timed out so far. */
    public long initTimeouts() {
        return initTimeouts.get();
    }

    /** Creates the producer and calls {@code initTransactions}, which fences any older instance. */
    public CompletableFuture<Void> start() {
        return CompletableFuture.runAsync(
                () -> {
                    producer = newProducer();
                    transitionTo(State.READY);
                },
                thread);
    }

    /**
     * Writes {@code records} in one transaction. With {@code abortOnPurpose} the records are sent and
     * flushed, then the transaction is aborted: a fault hook for proving atomicity.
     */
    public CompletableFuture<Void> publish(List<ProducerRecord<String, byte[]>> records, boolean abortOnPurpose) {
        Check.argument(!records.isEmpty(), "a transaction needs at least one record");
        return CompletableFuture.runAsync(() -> runTransaction(records, abortOnPurpose), thread);
    }

    private void runTransaction(List<ProducerRecord<String, byte[]>> records, boolean abortOnPurpose) {
        if (state != State.READY) {
            throw new TransactionFailedException(
                    Outcome.ABORTED, "producer " + transactionalId + " is " + state, fatalCause);
        }
        try {
            transitionTo(State.IN_TRANSACTION);
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r);
            }
            if (abortOnPurpose) {
                producer.flush();
                transitionTo(State.ABORTING);
                producer.abortTransaction();
                transitionTo(State.READY);
                throw new TransactionFailedException(Outcome.ABORTED, "transaction aborted on purpose", null);
            }
            transitionTo(State.COMMITTING);
            commitResolvingTimeouts();
            transitionTo(State.READY);
        } catch (TransactionFailedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw recover(e);
        }
    }

    /**
     * Commits; a timeout leaves the outcome unknown, so the commit is tried again (at most
     * {@link #COMMIT_TIMEOUT_RETRIES_MAX} times) until the coordinator answers. Only a commit still
     * unknown after that goes to {@link #recover}, which recreates the producer: its
     * {@code initTransactions} decides the transaction ({@link Outcome#DECIDED}).
     */
    private void commitResolvingTimeouts() {
        for (int retries = 0; ; retries++) {
            try {
                producer.commitTransaction();
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (retries >= COMMIT_TIMEOUT_RETRIES_MAX) {
                    throw e;
                }
                commitRetries.increment();
                log.warn(
                        "commit of {} timed out, trying it again ({}): {}", transactionalId, retries + 1, e.toString());
            }
        }
    }

    /** Brings the producer back to READY (or FATAL) and says what became of the transaction. */
    private TransactionFailedException recover(RuntimeException e) {
        State failedIn = state;
        ProducerErrors.Action action = ProducerErrors.classify(e);
        Outcome outcome =
                failedIn == State.COMMITTING && ProducerErrors.outcomeUnknown(e) ? Outcome.UNKNOWN : Outcome.ABORTED;
        log.warn("transaction of {} failed in {} ({}): {}", transactionalId, failedIn, action, e.toString());
        if (action == ProducerErrors.Action.FATAL) {
            fatalCause = e;
            transitionTo(State.FATAL);
            closeQuietly();
            return new TransactionFailedException(Outcome.UNKNOWN, "producer failed fatally", e);
        }
        if (action == ProducerErrors.Action.ABORT && outcome == Outcome.ABORTED) {
            try {
                transitionTo(State.ABORTING);
                producer.abortTransaction();
                transitionTo(State.READY);
                return new TransactionFailedException(outcome, "transaction aborted: " + e, e);
            } catch (RuntimeException abortFailed) {
                log.warn("abort of {} failed, recreating the producer: {}", transactionalId, abortFailed.toString());
            }
        }
        // Fenced, epoch error, failed abort or unknown commit: a new producer with the same
        // transactional.id resolves whatever the old one left open.
        try {
            closeQuietly();
            producer = newProducer();
            state = State.READY;
            if (outcome == Outcome.UNKNOWN) {
                // The new producer's initTransactions returned: the old transaction is decided now.
                outcome = Outcome.DECIDED;
            }
        } catch (RuntimeException initFailed) {
            fatalCause = initFailed;
            state = State.FATAL;
            log.error("could not recreate producer {}", transactionalId, initFailed);
        }
        return new TransactionFailedException(outcome, "transaction failed: " + e, e);
    }

    private Producer<String, byte[]> newProducer() {
        KafkaProducer<String, byte[]> p = new KafkaProducer<>(config);
        try {
            initTransactions(p);
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        return p;
    }

    /**
     * {@code initTransactions}, called again after a timeout for {@link #INIT_TRANSACTIONS_RETRY_MS_MAX}
     * (each call blocks up to {@code max.block.ms}): a broker restarting, or a coordinator moving, is
     * waited out here rather than by a restart of the whole gateway. Any other failure is thrown.
     */
    private void initTransactions(Producer<String, byte[]> p) {
        long startMs = System.currentTimeMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                p.initTransactions();
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                initTimeouts.incrementAndGet();
                if (System.currentTimeMillis() - startMs >= INIT_TRANSACTIONS_RETRY_MS_MAX) {
                    throw e;
                }
                log.warn(
                        "initTransactions of {} timed out (attempt {}), trying it again: {}",
                        transactionalId,
                        attempt,
                        e.toString());
            }
        }
    }

    private void closeQuietly() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // Already failed: nothing more to learn from a failed close.
            }
            producer = null;
        }
    }

    private void transitionTo(State next) {
        Check.state(
                state.canTransitionTo(next),
                "producer %s: invalid transition from %s to %s",
                transactionalId,
                state,
                next);
        state = next;
    }

    @Override
    public void close() {
        CompletableFuture<Void> closing = CompletableFuture.runAsync(
                () -> {
                    if (producer != null) {
                        producer.close(Duration.ofSeconds(5));
                        producer = null;
                    }
                    state = State.CLOSED;
                },
                thread);
        try {
            closing.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("closing producer {} did not finish cleanly: {}", transactionalId, e.toString());
        } finally {
            thread.shutdownNow();
        }
    }
}
