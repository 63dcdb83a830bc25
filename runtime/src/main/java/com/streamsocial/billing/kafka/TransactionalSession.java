package com.streamsocial.billing.kafka;

import com.streamsocial.billing.events.Check;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Kafka transactional-producer protocol of the gateway and the processor: begin, send, offsets,
 * commit (a timed-out commit retried, an unknown outcome decided by a new producer), abort, recreate.
 * Not thread-safe: one owner thread calls it; {@link #state()} may be read from any thread.
 */
public final class TransactionalSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalSession.class);

    /**
     * Calls of {@code commitTransaction} per transaction before its outcome counts as unknown here.
     * Kafka documents the call as safe to repeat after a {@code TimeoutException}: a repeat waits for
     * the same commit, it never commits twice. Each call blocks up to {@code max.block.ms}. The
     * gateway's 4 (one call and 3 retries) rather than the processor's 3: a commit the coordinator
     * answers late is then more often settled by its own answer than by recreating the producer.
     */
    public static final int COMMIT_CALLS_MAX = 4;

    /**
     * How long a new producer's {@code initTransactions} is tried again after it timed out. A broker's
     * restart took 13-15 s in the 50-kill chaos run and up to 33 s on a loaded machine; Kafka documents
     * {@code initTransactions} as safe to call again after a timeout.
     */
    public static final long INIT_TRANSACTIONS_RETRY_MS_MAX = 60_000;

    /** Calls of {@code initTransactions} made at least, however long they take, before giving up. */
    public static final int INIT_TRANSACTIONS_CALLS_MIN = 3;

    /** Longest wait of {@link #close()} for the producer's records in flight. */
    public static final long CLOSE_WAIT_MS_MAX = 5_000;

    /** The session's states; each move is checked against {@link #next()}, as Kafka's TransactionManager does. */
    public enum State {
        /** No producer yet. */
        NEW,
        /** A producer whose {@code initTransactions} returned, and no transaction open. */
        READY,
        IN_TRANSACTION,
        COMMITTING,
        ABORTING,
        /** The producer instance is dead (fenced, or an outcome unknown): a new one is being initialised. */
        RECREATING,
        /** No producer will be created again in this session: {@link #fatalCause()} says why. */
        FATAL,
        CLOSED;

        /** The moves allowed out of this state: the one table of the protocol. */
        public Set<State> next() {
            return switch (this) {
                case NEW -> EnumSet.of(READY, FATAL, CLOSED);
                case READY -> EnumSet.of(IN_TRANSACTION, CLOSED);
                case IN_TRANSACTION -> EnumSet.of(COMMITTING, ABORTING, RECREATING, FATAL);
                case COMMITTING -> EnumSet.of(READY, RECREATING, FATAL);
                case ABORTING -> EnumSet.of(READY, RECREATING, CLOSED);
                case RECREATING -> EnumSet.of(READY, FATAL);
                case FATAL -> EnumSet.of(CLOSED);
                case CLOSED -> EnumSet.noneOf(State.class);
            };
        }

        public boolean canTransitionTo(State next) {
            return next().contains(next);
        }
    }

    /** What became of a transaction whose commit was asked for. */
    public enum Commit {
        /** The coordinator answered: committed. */
        COMMITTED,
        /**
         * The outcome was unknown (the commit timed out {@link #COMMIT_CALLS_MAX} times, or failed after
         * it was asked for); a new producer with the same {@code transactional.id} has since passed
         * {@code initTransactions}, which completes a commit the broker had begun and aborts anything
         * else. Decided, but only the output (or the group's committed offsets) says which way.
         */
        DECIDED
    }

    /** What the owner counts or reacts to; called on the owner's thread, before the session goes on. */
    public interface Listener {
        /** A {@code commitTransaction} call timed out; {@code retrying} when it is called again. */
        default void commitTimedOut(int call, boolean retrying) {}

        /** The commit's outcome stays unknown: the producer is recreated next to decide it. */
        default void commitUnresolved(RuntimeException cause) {}

        /** An {@code initTransactions} call timed out (it may be called again). */
        default void initTimedOut(int call) {}
    }

    private final Supplier<? extends Producer<String, byte[]>> producers;
    private final String transactionalId;
    private final BooleanSupplier keepTrying;
    private final Listener listener;
    private Producer<String, byte[]> producer;
    private volatile State state = State.NEW;
    private volatile Throwable fatalCause;

    /**
     * {@code producers} makes a new producer with the same {@code transactional.id} each call;
     * {@code keepTrying} going false stops retrying {@code initTransactions} (the owner is stopping).
     */
    public TransactionalSession(
            Supplier<? extends Producer<String, byte[]>> producers,
            String transactionalId,
            BooleanSupplier keepTrying,
            Listener listener) {
        this.producers = producers;
        this.transactionalId = transactionalId;
        this.keepTrying = keepTrying;
        this.listener = listener;
    }

    public State state() {
        return state;
    }

    public Throwable fatalCause() {
        return fatalCause;
    }

    public String transactionalId() {
        return transactionalId;
    }

    /** Creates the producer and calls {@code initTransactions}, which fences any older instance. */
    public void start() {
        Check.state(state == State.NEW, "session %s: start in %s", transactionalId, state);
        try {
            producer = newInitialisedProducer();
        } catch (RuntimeException e) {
            fail(e);
            throw e;
        }
        transitionTo(State.READY);
    }

    public void begin() {
        transitionTo(State.IN_TRANSACTION);
        producer.beginTransaction();
    }

    public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        requireIn(State.IN_TRANSACTION);
        return producer.send(record);
    }

    public void flush() {
        requireIn(State.IN_TRANSACTION);
        producer.flush();
    }

    public void sendOffsets(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        requireIn(State.IN_TRANSACTION);
        producer.sendOffsetsToTransaction(offsets, group);
    }

    /**
     * Commits the open transaction. A timeout is retried up to {@link #COMMIT_CALLS_MAX} calls; a commit
     * still unknown then, or one that failed after it was asked for, is decided by recreating the
     * producer ({@link Commit#DECIDED}). A fatal error, or a producer that cannot be recreated, leaves
     * the session FATAL and is thrown.
     */
    public Commit commit() {
        transitionTo(State.COMMITTING);
        RuntimeException unresolved;
        for (int call = 1; ; call++) {
            try {
                producer.commitTransaction();
                transitionTo(State.READY);
                return Commit.COMMITTED;
            } catch (TimeoutException e) {
                boolean retrying = call < COMMIT_CALLS_MAX;
                listener.commitTimedOut(call, retrying);
                if (!retrying) {
                    log.warn("commit of {} still unresolved after {} calls: {}", transactionalId, call, e.toString());
                    unresolved = e;
                    break;
                }
                log.warn(
                        "commit of {} timed out (call {}), waiting for its outcome again: {}",
                        transactionalId,
                        call,
                        e.toString());
            } catch (RuntimeException e) {
                if (ProducerErrors.classify(e) == ProducerErrors.Action.FATAL) {
                    fail(e);
                    throw e;
                }
                // Even fenced: the commit may have reached the coordinator before the fence.
                log.warn("commit failed, resolving its outcome ({}): {}", transactionalId, e.toString());
                unresolved = e;
                break;
            }
        }
        listener.commitUnresolved(unresolved);
        recreate();
        return Commit.DECIDED;
    }

    /** Aborts the open transaction; a failed abort recreates the producer, which aborts it too. */
    public void abort() {
        if (!tryAbort()) {
            recreate();
        }
    }

    /**
     * After {@code e} failed the open transaction before its commit was asked for (nothing of it can
     * commit now): an abortable error aborts and goes on with the same producer; fencing, an epoch
     * error, a timeout (its request may still be pending) or a failed abort recreates the producer; a
     * fatal error leaves the session FATAL and is thrown.
     */
    public void abortAfter(RuntimeException e) {
        ProducerErrors.Action action = ProducerErrors.classify(e);
        log.warn("transaction failed ({}), aborting {}: {}", action, transactionalId, e.toString());
        if (action == ProducerErrors.Action.FATAL) {
            fail(e);
            throw e;
        }
        if (action == ProducerErrors.Action.ABORT && !ProducerErrors.outcomeUnknown(e) && tryAbort()) {
            return;
        }
        recreate();
    }

    private boolean tryAbort() {
        transitionTo(State.ABORTING);
        try {
            producer.abortTransaction();
        } catch (RuntimeException abortFailed) {
            log.warn("abort of {} failed, recreating the producer: {}", transactionalId, abortFailed.toString());
            return false;
        }
        transitionTo(State.READY);
        return true;
    }

    /**
     * The producer instance is dead to us: a new one with the same transactional.id fences it and
     * resolves what it left open (completes a commit the broker had begun, aborts anything else).
     */
    private void recreate() {
        transitionTo(State.RECREATING);
        closeProducerQuietly();
        try {
            producer = newInitialisedProducer();
        } catch (RuntimeException initFailed) {
            log.error("could not recreate producer {}", transactionalId, initFailed);
            fail(initFailed);
            throw initFailed;
        }
        transitionTo(State.READY);
    }

    private Producer<String, byte[]> newInitialisedProducer() {
        Producer<String, byte[]> p = producers.get();
        try {
            initTransactions(p);
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        return p;
    }

    /**
     * {@code initTransactions}, called again after a timeout until both {@link
     * #INIT_TRANSACTIONS_CALLS_MIN} calls and {@link #INIT_TRANSACTIONS_RETRY_MS_MAX} have passed, or
     * the owner stops: a broker restarting is waited out here rather than by restarting the service.
     */
    private void initTransactions(Producer<String, byte[]> p) {
        long startNs = System.nanoTime();
        for (int call = 1; ; call++) {
            try {
                p.initTransactions();
                return;
            } catch (TimeoutException e) {
                listener.initTimedOut(call);
                boolean pastBound = (System.nanoTime() - startNs) / 1_000_000 >= INIT_TRANSACTIONS_RETRY_MS_MAX;
                if (!keepTrying.getAsBoolean() || (call >= INIT_TRANSACTIONS_CALLS_MIN && pastBound)) {
                    throw e;
                }
                log.warn(
                        "initTransactions of {} timed out (call {}), trying it again: {}",
                        transactionalId,
                        call,
                        e.toString());
            }
        }
    }

    private void fail(Throwable cause) {
        fatalCause = cause;
        transitionTo(State.FATAL);
        closeProducerQuietly();
    }

    private void closeProducerQuietly() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // Already given up on: nothing more to learn from a failed close.
            }
            producer = null;
        }
    }

    private void requireIn(State expected) {
        Check.state(state == expected, "session %s: needs %s, is %s", transactionalId, expected, state);
    }

    /** The one way the state changes: a move not in the table is a bug, and is thrown. */
    void transitionTo(State next) {
        Check.state(
                state.canTransitionTo(next),
                "session %s: invalid transition from %s to %s",
                transactionalId,
                state,
                next);
        state = next;
    }

    /**
     * Aborts an open transaction (the coordinator would, later) and closes the producer, waiting up to
     * {@code timeout} for what it has in flight. Idempotent.
     */
    public void close(Duration timeout) {
        switch (state) {
            case CLOSED -> {
                return;
            }
            case IN_TRANSACTION -> tryAbortBeforeClose();
            case COMMITTING, RECREATING -> transitionTo(State.FATAL);
            default -> {}
        }
        Producer<String, byte[]> p = producer;
        producer = null;
        transitionTo(State.CLOSED);
        if (p != null) {
            p.close(timeout);
        }
    }

    private void tryAbortBeforeClose() {
        transitionTo(State.ABORTING);
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // Closing anyway: the coordinator aborts what we could not.
        }
    }

    /** Closes as {@link #close(Duration)} does, with {@link #CLOSE_WAIT_MS_MAX}. */
    @Override
    public void close() {
        close(Duration.ofMillis(CLOSE_WAIT_MS_MAX));
    }
}
