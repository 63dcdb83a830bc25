package com.streamsocial.billing.gateway.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommittedIdsTest {
    @Test
    void anUnmarkedIdIsCommittedForEveryStatement() {
        CommittedIds ids = new CommittedIds(10);
        long before = ids.statementStarts();
        ids.committed(List.of("a"));
        long after = ids.statementStarts();
        assertThat(ids.committedBefore("a", before)).isTrue();
        assertThat(ids.committedBefore("a", after)).isTrue();
        assertThat(ids.committedBefore("b", after)).isFalse();
    }

    @Test
    void aMarkIsInvisibleToAStatementSentBeforeItAndVisibleToOneSentAfter() {
        CommittedIds ids = new CommittedIds(10);
        ids.committed(List.of("a"));
        long older = ids.statementStarts();
        ids.marked(List.of("a"));
        long newer = ids.statementStarts();
        // The older statement's snapshot may still read "reserved": the id is committed for it.
        assertThat(ids.committedBefore("a", older)).isTrue();
        // The newer one reads the mark itself; the id is no longer carried for it.
        assertThat(ids.committedBefore("a", newer)).isFalse();
        assertThat(ids.recentlyMarkedCount()).isEqualTo(1);
        ids.statementEnds(older);
        assertThat(ids.recentlyMarkedCount()).isZero();
        ids.statementEnds(newer);
        assertThat(ids.unmarkedCount()).isZero();
    }

    @Test
    void aMarkWithNoStatementRunningIsForgottenAtOnce() {
        CommittedIds ids = new CommittedIds(10);
        ids.committed(List.of("a", "b"));
        ids.marked(List.of("a"));
        assertThat(ids.recentlyMarkedCount()).isZero();
        assertThat(ids.unmarkedCount()).isEqualTo(1);
        assertThat(ids.committedBefore("a", ids.statementStarts())).isFalse();
    }

    @Test
    void twoStatementsFromTheSameVersionBothHoldTheMark() {
        CommittedIds ids = new CommittedIds(10);
        ids.committed(List.of("a"));
        long s1 = ids.statementStarts();
        long s2 = ids.statementStarts();
        ids.marked(List.of("a"));
        ids.statementEnds(s1);
        assertThat(ids.committedBefore("a", s2)).isTrue();
        ids.statementEnds(s2);
        assertThat(ids.recentlyMarkedCount()).isZero();
    }

    @Test
    void fullAtTheBoundAndEndingAnUnknownStatementIsRefused() {
        CommittedIds ids = new CommittedIds(2);
        ids.committed(List.of("a"));
        assertThat(ids.full()).isFalse();
        ids.committed(List.of("b"));
        assertThat(ids.full()).isTrue();
        assertThatThrownBy(() -> ids.statementEnds(42)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new CommittedIds(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
