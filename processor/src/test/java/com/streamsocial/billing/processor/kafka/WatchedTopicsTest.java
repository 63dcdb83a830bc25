package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import org.junit.jupiter.api.Test;

/**
 * The hanging-transaction watchdog looks at every topic a processor's transaction writes. Kafka ends
 * an open transaction one partition at a time (an abort marker each), so a topic it does not look at
 * keeps a hanging transaction open there, and every read_committed reader of it waits for good.
 */
class WatchedTopicsTest {
    @Test
    void everyTopicTheProcessorWritesInItsTransactionsIsWatched() {
        assertThat(HangingTransactionWatchdog.WRITTEN_TOPICS)
                .containsExactlyInAnyOrder(Topics.RESULTS, Topics.METRICS, Topics.DLQ, Topics.REFUND_RESULTS);
    }
}
