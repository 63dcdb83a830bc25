package com.streamsocial.billing.stack.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCommitQueueTest {
    @Test
    void whileABatchIsWrittenEverythingArrivingWaitsAndThenGoesInTheNextBatchInOrder() {
        GroupCommitQueue<Integer> q = new GroupCommitQueue<>(512, 4_096, 0);
        assertThat(q.offer(1, 0)).isTrue();
        assertThat(q.take(0)).containsExactly(1);
        assertThat(q.state()).isEqualTo(GroupCommitQueue.State.WRITING);
        for (int i = 2; i <= 10; i++) {
            assertThat(q.offer(i, 1)).isTrue();
        }
        assertThat(q.take(5)).as("one batch at a time").isEmpty();
        assertThat(q.dueMs(5)).isEqualTo(-1);
        q.written();
        assertThat(q.take(5)).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10);
        q.written();
        assertThat(q.take(6)).isEmpty();
        assertThat(q.state()).isEqualTo(GroupCommitQueue.State.IDLE);
    }

    @Test
    void aBatchHoldsAtMostBatchMaxAndTheRestIsDueAtOnce() {
        GroupCommitQueue<Integer> q = new GroupCommitQueue<>(3, 10, 50);
        for (int i = 0; i < 7; i++) {
            q.offer(i, 0);
        }
        assertThat(q.take(0)).as("a full batch does not linger").containsExactly(0, 1, 2);
        q.written();
        assertThat(q.take(0)).containsExactly(3, 4, 5);
        q.written();
        // The one left behind arrived with the others: it does not wait another linger.
        assertThat(q.dueMs(1)).isEqualTo(1);
        assertThat(q.take(1)).containsExactly(6);
        assertThat(q.waiting()).isZero();
    }

    @Test
    void overQueuedMaxAnEntryIsRefusedAndNothingQueued() {
        GroupCommitQueue<Integer> q = new GroupCommitQueue<>(2, 4, 0);
        for (int i = 0; i < 4; i++) {
            assertThat(q.offer(i, 0)).isTrue();
        }
        assertThat(q.offer(99, 0)).isFalse();
        assertThat(q.waiting()).isEqualTo(4);
        assertThat(q.take(0)).containsExactly(0, 1);
        assertThat(q.offer(5, 0)).as("room again once a batch is taken").isTrue();
        assertThat(q.offer(6, 0)).isTrue();
        assertThat(q.offer(7, 0)).isFalse();
    }

    @Test
    void aLoneEntryLingersUntilItsTimeOrUntilTheBatchIsFull() {
        GroupCommitQueue<Integer> q = new GroupCommitQueue<>(3, 10, 2);
        q.offer(1, 100);
        assertThat(q.take(101)).isEmpty();
        assertThat(q.dueMs(101)).isEqualTo(102);
        assertThat(q.take(102)).containsExactly(1);
        q.written();
        q.offer(2, 200);
        q.offer(3, 200);
        q.offer(4, 201);
        assertThat(q.dueMs(201)).isEqualTo(201);
        assertThat(q.take(201)).containsExactly(2, 3, 4);
    }

    @Test
    void boundsAreCheckedAndInvalidMovesRejected() {
        assertThatThrownBy(() -> new GroupCommitQueue<Integer>(0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GroupCommitQueue<Integer>(10, 5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GroupCommitQueue<Integer>(1, 5, -1)).isInstanceOf(IllegalArgumentException.class);
        GroupCommitQueue<Integer> q = new GroupCommitQueue<>(1, 1, 0);
        assertThatThrownBy(q::written).as("nothing is being written").isInstanceOf(IllegalStateException.class);
        assertThat(List.of()).isEqualTo(q.take(0));
    }
}
