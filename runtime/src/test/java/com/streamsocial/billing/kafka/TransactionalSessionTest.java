package com.streamsocial.billing.kafka;

import static com.streamsocial.billing.kafka.TransactionalSession.State.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.kafka.TransactionalSession.Commit;
import com.streamsocial.billing.kafka.TransactionalSession.State;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The session's state machine, on Kafka's MockProducer: a unit test of our protocol (which call when,
 * which state after what), not of Kafka.
 */
class TransactionalSessionTest {
    private static final TopicPartition TP = new TopicPartition("payments.billing", 0);

    /** The protocol as the issue states it, written out again here so that a change to the table shows. */
    private static final Map<State, Set<State>> ALLOWED = new EnumMap<>(Map.of(
            NEW, EnumSet.of(READY, FATAL, CLOSED),
            READY, EnumSet.of(IN_TRANSACTION, CLOSED),
            IN_TRANSACTION, EnumSet.of(COMMITTING, ABORTING, RECREATING, FATAL),
            COMMITTING, EnumSet.of(READY, RECREATING, FATAL),
            ABORTING, EnumSet.of(READY, RECREATING, CLOSED),
            RECREATING, EnumSet.of(READY, FATAL),
            FATAL, EnumSet.of(CLOSED),
            CLOSED, EnumSet.noneOf(State.class)));

    @SuppressWarnings("removal") // The one-argument form is what a test without a consumer has.
    private static ConsumerGroupMetadata group() {
        return new ConsumerGroupMetadata("g");
    }

    /** A MockProducer that can time its commit out and lets the test look at the session mid-call. */
    static final class Probe extends MockProducer<String, byte[]> {
        Runnable onInit = () -> {};
        Runnable onCommit = () -> {};
        Runnable onAbort = () -> {};
        int commitTimeoutsLeft;
        int initTimeoutsLeft;
        int commitCalls;
        int abortCalls;

        Probe() {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public void initTransactions() {
            onInit.run();
            if (initTimeoutsLeft > 0) {
                initTimeoutsLeft--;
                throw new TimeoutException("initTransactions held");
            }
            super.initTransactions();
        }

        @Override
        public void commitTransaction() {
            commitCalls++;
            onCommit.run();
            if (commitTimeoutsLeft > 0) {
                commitTimeoutsLeft--;
                throw new TimeoutException("EndTxn held");
            }
            super.commitTransaction();
        }

        @Override
        public void abortTransaction() {
            abortCalls++;
            onAbort.run();
            super.abortTransaction();
        }
    }

    /** The session under test, its producers in the order it made them, and what its listener heard. */
    private static final class Rig implements TransactionalSession.Listener {
        final List<Probe> planned = new ArrayList<>();
        final List<Probe> made = new ArrayList<>();
        final List<String> heard = new ArrayList<>();
        boolean keepTrying = true;
        final TransactionalSession session;

        Rig(Probe... producers) {
            planned.addAll(List.of(producers));
            session = new TransactionalSession(this::next, "lane-0", () -> keepTrying, this);
        }

        private Probe next() {
            Probe p = planned.isEmpty() ? new Probe() : planned.remove(0);
            made.add(p);
            return p;
        }

        Probe producer(int i) {
            return made.get(i);
        }

        @Override
        public void commitTimedOut(int call, boolean retrying) {
            heard.add("commitTimedOut " + call + " " + retrying);
        }

        @Override
        public void commitUnresolved(RuntimeException cause) {
            heard.add("commitUnresolved " + cause.getClass().getSimpleName());
        }

        @Override
        public void initTimedOut(int call) {
            heard.add("initTimedOut " + call);
        }

        Rig started() {
            session.start();
            return this;
        }

        Rig inTransaction() {
            session.begin();
            session.send(new ProducerRecord<>(TP.topic(), TP.partition(), "k", new byte[] {1}));
            session.sendOffsets(Map.of(TP, new OffsetAndMetadata(7)), group());
            return this;
        }
    }

    @Test
    void theTableIsTheProtocolAndCanTransitionToFollowsIt() {
        for (State from : State.values()) {
            assertThat(from.next()).as("moves out of %s", from).isEqualTo(ALLOWED.get(from));
            for (State to : State.values()) {
                assertThat(from.canTransitionTo(to))
                        .as("%s -> %s", from, to)
                        .isEqualTo(ALLOWED.get(from).contains(to));
            }
        }
    }

    @Test
    void everyForbiddenMoveIsRejectedInEveryState() {
        Rig fresh = new Rig();
        assertForbiddenRejected(fresh.session);
        Rig ready = new Rig().started();
        assertForbiddenRejected(ready.session);
        Rig open = new Rig().started().inTransaction();
        assertForbiddenRejected(open.session);

        Rig committing = new Rig(new Probe()).started().inTransaction();
        List<State> seen = new ArrayList<>();
        committing.producer(0).onCommit = () -> seen.add(assertForbiddenRejected(committing.session));
        committing.session.commit();

        Rig aborting = new Rig().started().inTransaction();
        aborting.producer(0).onAbort = () -> seen.add(assertForbiddenRejected(aborting.session));
        aborting.session.abort();

        Probe second = new Probe();
        Rig recreating = new Rig(new Probe(), second).started().inTransaction();
        second.onInit = () -> seen.add(assertForbiddenRejected(recreating.session));
        recreating.session.abortAfter(new ProducerFencedException("fenced"));
        assertThat(seen).containsExactly(COMMITTING, ABORTING, RECREATING);

        Rig fatal = new Rig().started().inTransaction();
        assertThatThrownBy(() -> fatal.session.abortAfter(new TopicAuthorizationException("no ACL")));
        assertThat(assertForbiddenRejected(fatal.session)).isEqualTo(FATAL);
        fatal.session.close();
        assertThat(assertForbiddenRejected(fatal.session)).isEqualTo(CLOSED);
    }

    /** Tries every move not in the table from the session's state: each throws and changes nothing. */
    private static State assertForbiddenRejected(TransactionalSession session) {
        State from = session.state();
        for (State to : EnumSet.complementOf(EnumSet.copyOf(ALLOWED.get(from)))) {
            assertThatThrownBy(() -> session.transitionTo(to))
                    .as("%s -> %s", from, to)
                    .isInstanceOf(IllegalStateException.class);
            assertThat(session.state()).isEqualTo(from);
        }
        return from;
    }

    @Test
    void aCommittedTransactionGoesNewReadyInTransactionCommittingReady() {
        Rig rig = new Rig();
        assertThat(rig.session.state()).isEqualTo(NEW);
        rig.started();
        assertThat(rig.session.state()).isEqualTo(READY);
        rig.inTransaction();
        assertThat(rig.session.state()).isEqualTo(IN_TRANSACTION);
        List<State> during = new ArrayList<>();
        rig.producer(0).onCommit = () -> during.add(rig.session.state());

        assertThat(rig.session.commit()).isEqualTo(Commit.COMMITTED);

        assertThat(during).containsExactly(COMMITTING);
        assertThat(rig.session.state()).isEqualTo(READY);
        assertThat(rig.producer(0).history()).hasSize(1);
        assertThat(rig.producer(0).consumerGroupOffsetsHistory()).hasSize(1);
        assertThat(rig.made).hasSize(1);
    }

    @Test
    void anAbortGoesThroughAbortingToReadyAndDropsTheRecords() {
        Rig rig = new Rig().started().inTransaction();
        List<State> during = new ArrayList<>();
        rig.producer(0).onAbort = () -> during.add(rig.session.state());

        rig.session.abort();

        assertThat(during).containsExactly(ABORTING);
        assertThat(rig.session.state()).isEqualTo(READY);
        assertThat(rig.producer(0).transactionAborted()).isTrue();
        assertThat(rig.producer(0).history()).isEmpty();
        assertThat(rig.made).hasSize(1);
    }

    @Test
    void aCommitThatTimesOutIsResolvedByCallingItAgainOnTheSameProducer() {
        Probe p = new Probe();
        p.commitTimeoutsLeft = TransactionalSession.COMMIT_CALLS_MAX - 1;
        Rig rig = new Rig(p).started().inTransaction();

        assertThat(rig.session.commit()).isEqualTo(Commit.COMMITTED);

        assertThat(p.commitCalls).isEqualTo(TransactionalSession.COMMIT_CALLS_MAX);
        assertThat(p.transactionCommitted()).isTrue();
        assertThat(rig.made).as("no new producer").hasSize(1);
        assertThat(rig.heard)
                .containsExactly("commitTimedOut 1 true", "commitTimedOut 2 true", "commitTimedOut 3 true");
        assertThat(rig.session.state()).isEqualTo(READY);
    }

    @Test
    void aCommitStillUnknownAfterItsCallsIsDecidedByANewProducerWithTheSameId() {
        Probe first = new Probe();
        first.commitTimeoutsLeft = TransactionalSession.COMMIT_CALLS_MAX;
        Probe second = new Probe();
        List<State> during = new ArrayList<>();
        Rig rig = new Rig(first, second).started().inTransaction();
        second.onInit = () -> during.add(rig.session.state());

        assertThat(rig.session.commit()).isEqualTo(Commit.DECIDED);

        assertThat(first.commitCalls).isEqualTo(TransactionalSession.COMMIT_CALLS_MAX);
        assertThat(rig.heard)
                .endsWith(
                        "commitTimedOut " + TransactionalSession.COMMIT_CALLS_MAX + " false",
                        "commitUnresolved TimeoutException");
        assertThat(first.abortCalls).as("an unknown commit is never aborted").isZero();
        assertThat(first.closed()).isTrue();
        assertThat(during).containsExactly(RECREATING);
        assertThat(second.transactionInitialized()).isTrue();
        assertThat(rig.session.state()).isEqualTo(READY);
        rig.inTransaction();
        assertThat(rig.session.commit()).isEqualTo(Commit.COMMITTED);
        assertThat(second.transactionCommitted()).isTrue();
    }

    @Test
    void aCommitThatFailsOtherwiseIsDecidedNotAborted() {
        Probe first = new Probe();
        first.commitTransactionException = new KafkaException("EndTxn failed");
        Rig rig = new Rig(first).started().inTransaction();

        assertThat(rig.session.commit()).isEqualTo(Commit.DECIDED);

        assertThat(first.abortCalls).isZero();
        assertThat(rig.heard).containsExactly("commitUnresolved KafkaException");
        assertThat(rig.made).hasSize(2);
        assertThat(rig.session.state()).isEqualTo(READY);
    }

    @Test
    void fencingIsFatalForTheProducerInstanceWhichIsNeverUsedAgain() {
        Rig rig = new Rig().started();
        rig.session.begin();
        Probe fenced = rig.producer(0);
        fenced.fenceProducer();
        RuntimeException e = sendOffsetsFailure(rig);
        assertThat(e).isInstanceOf(ProducerFencedException.class);

        rig.session.abortAfter(e);

        assertThat(fenced.abortCalls)
                .as("nothing more is asked of a fenced producer")
                .isZero();
        assertThat(fenced.closed()).isTrue();
        assertThat(rig.made).hasSize(2);
        assertThat(rig.producer(1).transactionInitialized()).isTrue();
        assertThat(rig.session.state()).isEqualTo(READY);

        Rig epoch = new Rig().started().inTransaction();
        epoch.session.abortAfter(new InvalidProducerEpochException("epoch bumped"));
        assertThat(epoch.producer(0).abortCalls).isZero();
        assertThat(epoch.producer(0).closed()).isTrue();
        assertThat(epoch.made).hasSize(2);
    }

    @Test
    void aFencedCommitIsDecidedByANewProducer() {
        Rig rig = new Rig().started().inTransaction();
        rig.producer(0).fenceProducer();

        assertThat(rig.session.commit()).isEqualTo(Commit.DECIDED);

        assertThat(rig.producer(0).closed()).isTrue();
        assertThat(rig.made).hasSize(2);
        assertThat(rig.session.state()).isEqualTo(READY);
    }

    private static RuntimeException sendOffsetsFailure(Rig rig) {
        try {
            rig.session.sendOffsets(Map.of(TP, new OffsetAndMetadata(1)), group());
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("sendOffsetsToTransaction did not fail");
    }

    @Test
    void anAbortableErrorAbortsAndGoesOnWithTheSameProducer() {
        Rig rig = new Rig().started().inTransaction();

        rig.session.abortAfter(new TransactionAbortableException("partition moved"));

        assertThat(rig.producer(0).abortCalls).isEqualTo(1);
        assertThat(rig.producer(0).transactionAborted()).isTrue();
        assertThat(rig.made).hasSize(1);
        assertThat(rig.session.state()).isEqualTo(READY);
        rig.inTransaction();
        assertThat(rig.session.commit()).isEqualTo(Commit.COMMITTED);
    }

    @Test
    void aTimeoutBeforeTheCommitRecreatesRatherThanAborts() {
        Rig rig = new Rig().started().inTransaction();

        rig.session.abortAfter(new TimeoutException("AddOffsets held"));

        assertThat(rig.producer(0).abortCalls).isZero();
        assertThat(rig.made).hasSize(2);
        assertThat(rig.session.state()).isEqualTo(READY);
    }

    @Test
    void anAbortThatFailsRecreatesTheProducer() {
        Probe first = new Probe();
        first.abortTransactionException = new KafkaException("abort failed");
        Rig rig = new Rig(first).started().inTransaction();

        rig.session.abort();

        assertThat(first.closed()).isTrue();
        assertThat(rig.made).hasSize(2);
        assertThat(rig.session.state()).isEqualTo(READY);
    }

    @Test
    void aFatalErrorEndsTheSessionAndNothingMoreIsAllowed() {
        Rig rig = new Rig().started().inTransaction();
        TopicAuthorizationException noAcl = new TopicAuthorizationException("no ACL");

        assertThatThrownBy(() -> rig.session.abortAfter(noAcl)).isSameAs(noAcl);

        assertThat(rig.session.state()).isEqualTo(FATAL);
        assertThat(rig.session.fatalCause()).isSameAs(noAcl);
        assertThat(rig.producer(0).closed()).isTrue();
        assertThat(rig.made).hasSize(1);
        assertThatThrownBy(rig.session::begin).isInstanceOf(IllegalStateException.class);

        Probe p = new Probe();
        p.commitTransactionException = new TransactionalIdAuthorizationException("no ACL");
        Rig committing = new Rig(p).started().inTransaction();
        assertThatThrownBy(committing.session::commit).isSameAs(p.commitTransactionException);
        assertThat(committing.session.state()).isEqualTo(FATAL);
        assertThat(committing.made).hasSize(1);
    }

    @Test
    void aProducerThatCannotBeRecreatedEndsTheSession() {
        Probe first = new Probe();
        first.commitTimeoutsLeft = TransactionalSession.COMMIT_CALLS_MAX;
        Probe second = new Probe();
        second.initTransactionException = new TransactionalIdAuthorizationException("no ACL");
        Rig rig = new Rig(first, second).started().inTransaction();

        assertThatThrownBy(rig.session::commit).isSameAs(second.initTransactionException);

        assertThat(rig.session.state()).isEqualTo(FATAL);
        assertThat(rig.session.fatalCause()).isSameAs(second.initTransactionException);
        assertThat(second.closed()).isTrue();
    }

    @Test
    void anInitTimeoutIsRetriedOnTheSameProducerUnlessTheOwnerStops() {
        Probe slow = new Probe();
        slow.initTimeoutsLeft = 2;
        Rig rig = new Rig(slow);
        rig.started();
        assertThat(rig.heard).containsExactly("initTimedOut 1", "initTimedOut 2");
        assertThat(rig.made).hasSize(1);
        assertThat(rig.session.state()).isEqualTo(READY);

        Probe stopping = new Probe();
        stopping.initTimeoutsLeft = 1;
        Rig stopped = new Rig(stopping);
        stopped.keepTrying = false;
        assertThatThrownBy(stopped.session::start).isInstanceOf(TimeoutException.class);
        assertThat(stopped.session.state()).isEqualTo(FATAL);
        assertThat(stopping.closed()).isTrue();
    }

    @Test
    void closingAnOpenTransactionAbortsItAndClosingTwiceIsHarmless() {
        Rig rig = new Rig().started().inTransaction();
        List<State> during = new ArrayList<>();
        rig.producer(0).onAbort = () -> during.add(rig.session.state());

        rig.session.close();
        rig.session.close();

        assertThat(during).containsExactly(ABORTING);
        assertThat(rig.producer(0).transactionAborted()).isTrue();
        assertThat(rig.producer(0).closed()).isTrue();
        assertThat(rig.session.state()).isEqualTo(CLOSED);

        Rig never = new Rig();
        never.session.close();
        assertThat(never.session.state()).isEqualTo(CLOSED);
        assertThat(never.made).isEmpty();
    }
}
