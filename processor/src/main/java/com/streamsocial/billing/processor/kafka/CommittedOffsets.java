package com.streamsocial.billing.processor.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group's committed offsets, waited for. A read_committed lookup waits while a transaction holds
 * offsets of the group pending (KIP-447: UNSTABLE_OFFSET_COMMIT), and a hanging transaction holds them
 * until the watchdog aborts it, two transaction timeouts after its last write (docs/OPERATIONS.md
 * §2a). One lookup's bound is shorter than that, and giving up made the loop FATAL and the process be
 * restarted, whose new loop then waited for the same offsets anyway (the repeated 50-kill chaos run).
 * So a lookup that times out is made again, up to a total bound.
 */
final class CommittedOffsets {
    private static final Logger log = LoggerFactory.getLogger(CommittedOffsets.class);

    /**
     * Longest total wait: past the watchdog's abort at the defaults (2 x 60 s transaction timeout, then
     * its 30 s check), and below the consumer's default {@code max.poll.interval.ms} (300 s), past which
     * the group would take the partitions away from a loop that is not polling.
     */
    static final long WAIT_MS_MAX = 240_000;

    private CommittedOffsets() {}

    /**
     * The committed offsets of {@code partitions}, each lookup bounded by {@code lookupMs}, looked up
     * again after a timeout while {@code running} and for at most {@code waitMaxMs} in all; past that,
     * the last timeout is thrown. {@code onTimeout} is told of each lookup that timed out.
     */
    static Map<TopicPartition, OffsetAndMetadata> await(
            Consumer<?, ?> consumer,
            Set<TopicPartition> partitions,
            long lookupMs,
            long waitMaxMs,
            BooleanSupplier running,
            Runnable onTimeout) {
        long startMs = System.currentTimeMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return consumer.committed(partitions, Duration.ofMillis(lookupMs));
            } catch (TimeoutException e) {
                onTimeout.run();
                if (!running.getAsBoolean() || System.currentTimeMillis() - startMs >= waitMaxMs) {
                    throw e;
                }
                log.warn(
                        "committed offsets of {} not stable yet (lookup {}), waiting again: {}",
                        partitions,
                        attempt,
                        e.toString());
            }
        }
    }
}
