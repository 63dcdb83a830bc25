package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.kafka.TransactionalLoop.State;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class TransactionalLoopTest {
    @Test
    void livenessFailsOnlyWhenTheLoopIsDeadForAReasonARestartCouldFix() {
        assertThat(TransactionalLoop.deadButRestartable(State.FATAL, new IllegalStateException("bug")))
                .isTrue();
        assertThat(TransactionalLoop.deadButRestartable(State.FATAL, new TimeoutException("initTransactions")))
                .isTrue();
        assertThat(TransactionalLoop.deadButRestartable(State.FATAL, new NoSuchMethodError("x")))
                .isTrue();
        // Only configuration fixes these: a restart would die the same way; readiness reports it.
        assertThat(TransactionalLoop.deadButRestartable(State.FATAL, new TopicAuthorizationException("no ACL")))
                .isFalse();
        for (State s : State.values()) {
            if (s != State.FATAL) {
                assertThat(TransactionalLoop.deadButRestartable(s, null))
                        .as(s.name())
                        .isFalse();
            }
        }
    }

    @Test
    void anUnknownCommitOutcomeIsResolvedBeforeTheLoopGoesOn() {
        assertThat(State.IN_TRANSACTION.canTransitionTo(State.RESOLVING)).isTrue();
        assertThat(State.RESOLVING.canTransitionTo(State.POLLING)).isTrue();
        assertThat(State.RESOLVING.canTransitionTo(State.BACKING_OFF)).isTrue();
        // Never straight back to processing or into a new transaction while the outcome is unknown.
        assertThat(State.RESOLVING.canTransitionTo(State.PROCESSING)).isFalse();
        assertThat(State.RESOLVING.canTransitionTo(State.IN_TRANSACTION)).isFalse();
        assertThat(State.POLLING.canTransitionTo(State.RESOLVING)).isFalse();
    }
}
