package com.streamsocial.billing.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.kafka.TopicSafety.Problem;
import com.streamsocial.billing.kafka.TopicSafety.TopicFacts;
import com.streamsocial.billing.kafka.TopicSafety.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicSafetyTest {
    @Test
    void replicationFactorThreeAndMinInsyncTwoIsSafe() {
        Verdict v = TopicSafety.judge(List.of(
                new TopicFacts("payments.billing", true, 3, 2, false),
                new TopicFacts("payments.metrics", true, 5, 3, false),
                new TopicFacts("__transaction_state", true, 3, 2, true)));
        assertThat(v.safe()).isTrue();
        assertThat(v.problems()).isEmpty();
    }

    @Test
    void replicationFactorBelowThreeIsRefusedNamingTopicAndValues() {
        Verdict v = TopicSafety.judge(List.of(new TopicFacts("payments.billing", true, 2, 2, false)));
        assertThat(v.safe()).isFalse();
        assertThat(v.problems()).containsExactly(new Problem("payments.billing", "replication factor", 2, 3));
        assertThat(v.describe()).isEqualTo("payments.billing: replication factor is 2, at least 3 required");
    }

    @Test
    void minInsyncBelowTwoIsRefusedNamingTopicAndValues() {
        Verdict v = TopicSafety.judge(List.of(new TopicFacts("payments.results", true, 3, 1, false)));
        assertThat(v.problems()).containsExactly(new Problem("payments.results", "min.insync.replicas", 1, 2));
        assertThat(v.describe()).isEqualTo("payments.results: min.insync.replicas is 1, at least 2 required");
    }

    @Test
    void aSingleBrokerTopicHasBothProblemsAndEveryTopicIsNamed() {
        Verdict v = TopicSafety.judge(List.of(
                new TopicFacts("payments.billing", true, 1, 1, false),
                new TopicFacts("payments.metrics", true, 3, 2, false),
                new TopicFacts("__consumer_offsets", true, 1, 1, true)));
        assertThat(v.problems())
                .containsExactly(
                        new Problem("payments.billing", "replication factor", 1, 3),
                        new Problem("payments.billing", "min.insync.replicas", 1, 2),
                        new Problem("__consumer_offsets", "replication factor", 1, 3),
                        new Problem("__consumer_offsets", "min.insync.replicas", 1, 2));
    }

    @Test
    void aMissingTopicIsRefusedButAMissingInternalTopicIsNot() {
        Verdict v = TopicSafety.judge(
                List.of(TopicFacts.missing("payments.dlq", false), TopicFacts.missing("__transaction_state", true)));
        assertThat(v.problems()).containsExactly(new Problem("payments.dlq", "existence", -1, 1));
        assertThat(v.describe()).isEqualTo("payments.dlq does not exist");
    }
}
