package com.streamsocial.billing.gateway.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCommitBatcherTest {
    private static GroupCommitBatcher<String> batcher(int records, int bytes, long lingerMs, int queue) {
        return new GroupCommitBatcher<>(new GroupCommitBatcher.Limits(records, bytes, lingerMs, queue));
    }

    @Test
    void drainsWhenBatchRecordsMaxIsReached() {
        GroupCommitBatcher<String> b = batcher(3, 1_000, 50, 10);
        b.offer("a", 10, 0);
        b.offer("b", 10, 0);
        assertThat(b.needsDrain(0)).isFalse();
        b.offer("c", 10, 0);
        assertThat(b.needsDrain(0)).isTrue();
        assertThat(b.drain()).containsExactly("a", "b", "c");
        assertThat(b.queuedRecords()).isZero();
        assertThat(b.needsDrain(1_000)).isFalse();
    }

    @Test
    void drainsWhenBatchBytesMaxIsReachedAndNeverExceedsIt() {
        GroupCommitBatcher<String> b = batcher(100, 100, 50, 100);
        b.offer("a", 40, 0);
        b.offer("b", 40, 0);
        assertThat(b.needsDrain(0)).isFalse();
        b.offer("c", 40, 0);
        assertThat(b.needsDrain(0)).isTrue();
        // 40 + 40 fits in 100 bytes; the third would make 120.
        assertThat(b.drain()).containsExactly("a", "b");
        assertThat(b.queuedBytes()).isEqualTo(40);
        assertThat(b.drain()).containsExactly("c");
    }

    @Test
    void drainsWhenTheOldestRequestLingeredLongEnough() {
        GroupCommitBatcher<String> b = batcher(100, 10_000, 5, 100);
        b.offer("a", 10, 1_000);
        b.offer("b", 10, 1_003);
        assertThat(b.nextDeadlineMs()).isEqualTo(1_005);
        assertThat(b.needsDrain(1_004)).isFalse();
        assertThat(b.needsDrain(1_005)).isTrue();
        assertThat(b.drain()).containsExactly("a", "b");
        assertThat(b.nextDeadlineMs()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void zeroLingerFlushesImmediately() {
        GroupCommitBatcher<String> b = batcher(100, 10_000, 0, 100);
        b.offer("a", 10, 7);
        assertThat(b.needsDrain(7)).isTrue();
    }

    @Test
    void aDrainTakesAtMostOneBatchAndKeepsOrder() {
        GroupCommitBatcher<String> b = batcher(2, 10_000, 0, 10);
        for (String s : List.of("a", "b", "c", "d", "e")) {
            b.offer(s, 1, 0);
        }
        assertThat(b.drain()).containsExactly("a", "b");
        assertThat(b.drain()).containsExactly("c", "d");
        assertThat(b.drain()).containsExactly("e");
        assertThat(b.drain()).isEmpty();
    }

    @Test
    void refusesOffersBeyondQueueRecordsMax() {
        GroupCommitBatcher<String> b = batcher(2, 10_000, 100, 3);
        assertThat(b.offer("a", 1, 0)).isTrue();
        assertThat(b.offer("b", 1, 0)).isTrue();
        assertThat(b.offer("c", 1, 0)).isTrue();
        assertThat(b.offer("d", 1, 0)).isFalse();
        assertThat(b.queuedRecords()).isEqualTo(3);
        b.drain();
        assertThat(b.offer("d", 1, 0)).isTrue();
    }

    @Test
    void rejectsRequestsThatCanNeverFitAndInvalidLimits() {
        GroupCommitBatcher<String> b = batcher(2, 100, 0, 3);
        assertThatThrownBy(() -> b.offer("big", 101, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> batcher(10, 100, 0, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queueRecordsMax");
    }
}
