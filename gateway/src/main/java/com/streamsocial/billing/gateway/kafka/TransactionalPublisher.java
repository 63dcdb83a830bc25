package com.streamsocial.billing.gateway.kafka;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.kafka.ProducerErrors;
import com.streamsocial.billing.kafka.TransactionalSession;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link TransactionalSession} and the one thread that owns it. Each {@link #publish} call is one
 * Kafka transaction: begin, send every record, commit. The calls block, so they run on this dedicated,
 * named thread and never on an event loop; the caller gets a {@link CompletableFuture} back.
 *
 * <p>At most one transaction is open at a time, and at most {@link #QUEUED_CALLS_MAX} calls wait.
 */
public final class TransactionalPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalPublisher.class);

    /** The gateway keeps one batch in flight per publisher; a little slack covers close and probes. */
    public static final int QUEUED_CALLS_MAX = 4;

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

    private final String transactionalId;
    private final ThreadPoolExecutor thread;
    /** Touched on the dedicated thread only; its state is read from any. */
    private final TransactionalSession session;
    /** Why the last commit's outcome stayed unknown: the cause reported, as before the session. */
    private RuntimeException unresolvedCommit;
    /** Calls of {@code initTransactions} that timed out, retried or not: what a test waits for. */
    private final AtomicLong initTimeouts = new AtomicLong();

    /** {@code commitRetries} counts commits tried again after a timeout. */
    public TransactionalPublisher(Map<String, Object> producerConfig, Counter commitRetries) {
        Map<String, Object> config = Map.copyOf(producerConfig);
        this.transactionalId = String.valueOf(producerConfig.get("transactional.id"));
        this.session = new TransactionalSession(
                () -> new KafkaProducer<>(config), transactionalId, () -> true, new TransactionalSession.Listener() {
                    @Override
                    public void commitTimedOut(int call, boolean retrying) {
                        if (retrying) {
                            commitRetries.increment();
                        }
                    }

                    @Override
                    public void commitUnresolved(RuntimeException cause) {
                        unresolvedCommit = cause;
                    }

                    @Override
                    public void initTimedOut(int call) {
                        initTimeouts.incrementAndGet();
                    }
                });
        this.thread = new ThreadPoolExecutor(
                1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUED_CALLS_MAX), r -> {
                    Thread t = new Thread(r, "kafka-tx-" + transactionalId);
                    t.setDaemon(true);
                    return t;
                });
    }

    public TransactionalSession.State state() {
        return session.state();
    }

    public Throwable fatalCause() {
        return session.fatalCause();
    }

    /** Calls of {@code initTransactions} that timed out so far. */
    public long initTimeouts() {
        return initTimeouts.get();
    }

    /** Creates the producer and calls {@code initTransactions}, which fences any older instance. */
    public CompletableFuture<Void> start() {
        return CompletableFuture.runAsync(session::start, thread);
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
        TransactionalSession.State state = session.state();
        if (state != TransactionalSession.State.READY) {
            throw new TransactionFailedException(
                    Outcome.ABORTED, "producer " + transactionalId + " is " + state, session.fatalCause());
        }
        try {
            session.begin();
            for (ProducerRecord<String, byte[]> r : records) {
                session.send(r);
            }
            if (abortOnPurpose) {
                session.flush();
            }
        } catch (RuntimeException e) {
            throw abortAfter(e);
        }
        if (abortOnPurpose) {
            abortOnPurpose();
        }
        commit();
    }

    private void abortOnPurpose() {
        try {
            session.abort();
        } catch (RuntimeException e) {
            // The abort failed and no new producer could be made: nothing was committed either way.
            throw new TransactionFailedException(Outcome.ABORTED, "transaction aborted on purpose: " + e, e);
        }
        throw new TransactionFailedException(Outcome.ABORTED, "transaction aborted on purpose", null);
    }

    /** A failure before the commit was asked for: nothing of the transaction can ever commit. */
    private TransactionFailedException abortAfter(RuntimeException e) {
        try {
            session.abortAfter(e);
            return new TransactionFailedException(Outcome.ABORTED, "transaction aborted: " + e, e);
        } catch (RuntimeException fatal) {
            // The session is FATAL: a fatal error is reported UNKNOWN, as it always was here.
            Outcome outcome =
                    ProducerErrors.classify(e) == ProducerErrors.Action.FATAL ? Outcome.UNKNOWN : Outcome.ABORTED;
            return new TransactionFailedException(outcome, "transaction failed: " + e, e);
        }
    }

    /**
     * Commits; a timeout is tried again by the session. A commit still unknown after that, or one that
     * failed once asked for, is decided by a new producer ({@link Outcome#DECIDED}); if none could be
     * made, or the error was fatal, the outcome stays {@link Outcome#UNKNOWN}.
     */
    private void commit() {
        unresolvedCommit = null;
        TransactionalSession.Commit commit;
        try {
            commit = session.commit();
        } catch (RuntimeException e) {
            RuntimeException cause = unresolvedCommit != null ? unresolvedCommit : e;
            throw new TransactionFailedException(Outcome.UNKNOWN, "transaction failed: " + cause, cause);
        }
        if (commit == TransactionalSession.Commit.DECIDED) {
            // The new producer's initTransactions returned: the old transaction is decided now.
            throw new TransactionFailedException(
                    Outcome.DECIDED, "transaction failed: " + unresolvedCommit, unresolvedCommit);
        }
    }

    @Override
    public void close() {
        CompletableFuture<Void> closing = CompletableFuture.runAsync(session::close, thread);
        try {
            closing.get(CLOSE_WAIT_MS_MAX, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("closing producer {} did not finish cleanly: {}", transactionalId, e.toString());
        } finally {
            thread.shutdownNow();
        }
    }

    /** Longest wait of {@link #close()}: the session's own close, and the call queued before it. */
    static final long CLOSE_WAIT_MS_MAX = 10_000;
}
