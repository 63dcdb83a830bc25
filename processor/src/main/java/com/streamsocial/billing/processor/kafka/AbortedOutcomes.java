package com.streamsocial.billing.processor.kafka;

import com.streamsocial.billing.kafka.KafkaSafety;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The payment ids whose outcome records in a range of one payments.results partition are there only
 * uncommitted: written, but aborted (or still open). Read once with read_uncommitted and once with
 * read_committed; what only the first returns. Blocking, bounded by its timeout; for the hanging-
 * transaction watchdog, after it aborted a processor's transaction there, to know which outcomes the
 * abort took away.
 */
final class AbortedOutcomes {
    private static final Duration POLL = Duration.ofMillis(200);

    private AbortedOutcomes() {}

    /** The keys in [{@code from}, {@code to}) that read_uncommitted returns and read_committed does not. */
    static Set<String> keys(Map<String, Object> kafka, TopicPartition tp, long from, long to, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Set<String> written = read(kafka, tp, from, to, false, deadline);
        written.removeAll(read(kafka, tp, from, to, true, deadline));
        return written;
    }

    private static Set<String> read(
            Map<String, Object> kafka, TopicPartition tp, long from, long to, boolean committed, long deadline) {
        Map<String, Object> c = KafkaSafety.readCommittedConsumer(new HashMap<>(kafka), null);
        c.put("isolation.level", committed ? "read_committed" : "read_uncommitted");
        c.put("client.id", "processor-aborted-outcomes");
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            // read_committed stops at the last stable offset: a later transaction still open there
            // leaves the rest unread until the deadline, and those keys then count as aborted, which
            // only costs a re-drive that re-emits nothing.
            while (consumer.position(tp, POLL) < to && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < to && r.key() != null) {
                        keys.add(r.key());
                    }
                }
            }
        }
        return keys;
    }
}
