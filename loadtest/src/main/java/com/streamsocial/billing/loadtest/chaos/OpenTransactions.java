package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.processor.kafka.HangingTransactionWatchdog;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Why read_committed readers are held back: every partition whose last stable offset is below its
 * high watermark, the producers with a transaction open on it, and the coordinator's transactions that
 * are not complete. Printed by {@code chaos} when payments stay without an outcome, so that a run on
 * a machine we cannot log into says which transaction held what.
 */
public final class OpenTransactions {
    private static final long ADMIN_TIMEOUT_MS = 15_000;

    private OpenTransactions() {}

    /** The report's lines; on failure, one line naming the failure (this is a diagnosis, not a check). */
    public static List<String> describe(String bootstrap, Collection<String> topics) {
        List<String> lines = new ArrayList<>();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // The API timeout may not be shorter than one request's.
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS / 3);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS);
        try (Admin admin = Admin.create(p)) {
            List<TopicPartition> held = heldPartitions(admin, topics, lines);
            if (held.isEmpty()) {
                lines.add("  no partition is held back: every last stable offset equals its high watermark");
            } else {
                openProducers(admin, held, lines);
            }
            coordinatorTransactions(admin, lines);
        } catch (Exception e) {
            lines.add("  could not describe the open transactions: " + e);
        }
        return lines;
    }

    /** The partitions of {@code topics} whose last stable offset is below the high watermark, each with a line. */
    private static List<TopicPartition> heldPartitions(Admin admin, Collection<String> topics, List<String> lines)
            throws Exception {
        List<TopicPartition> held = new ArrayList<>();
        for (HangingTransactionWatchdog.Held h :
                HangingTransactionWatchdog.heldPartitions(admin, List.copyOf(topics), ADMIN_TIMEOUT_MS)) {
            held.add(h.partition());
            lines.add(String.format(
                    "  %s: last stable offset %d, high watermark %d",
                    h.partition(), h.lastStableOffset(), h.highWatermark()));
        }
        return held;
    }

    /** A line for each producer with a transaction open on a {@code held} partition, as its leader sees it. */
    private static void openProducers(Admin admin, List<TopicPartition> held, List<String> lines) throws Exception {
        Map<TopicPartition, List<ProducerState>> producers = new HashMap<>();
        admin.describeProducers(held)
                .all()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .forEach((tp, r) -> producers.put(tp, r.activeProducers()));
        for (TopicPartition tp : held) {
            for (ProducerState s : producers.getOrDefault(tp, List.of())) {
                if (s.currentTransactionStartOffset().isPresent()) {
                    lines.add(String.format(
                            "  %s: producer %d epoch %d has a transaction open from offset %d (coordinator"
                                    + " epoch %s, last write at %d)",
                            tp,
                            s.producerId(),
                            s.producerEpoch(),
                            s.currentTransactionStartOffset().getAsLong(),
                            s.coordinatorEpoch(),
                            s.lastTimestamp()));
                }
            }
        }
    }

    /**
     * A line for each transaction the coordinators have in progress, or one saying there is none: a
     * partition held with none in progress is a hanging transaction (docs/OPERATIONS.md §2a).
     */
    private static void coordinatorTransactions(Admin admin, List<String> lines) throws Exception {
        List<String> open = new ArrayList<>();
        for (TransactionListing l : admin.listTransactions().all().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            if (l.state() != TransactionState.EMPTY
                    && l.state() != TransactionState.COMPLETE_COMMIT
                    && l.state() != TransactionState.COMPLETE_ABORT) {
                open.add(l.transactionalId());
            }
        }
        if (open.isEmpty()) {
            lines.add("  the coordinator has no transaction in progress");
            return;
        }
        for (Map.Entry<String, TransactionDescription> e : admin.describeTransactions(open)
                .all()
                .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .entrySet()) {
            TransactionDescription d = e.getValue();
            lines.add(String.format(
                    "  transaction %s: %s, producer %d epoch %d, started at %d, partitions %s",
                    e.getKey(),
                    d.state(),
                    d.producerId(),
                    d.producerEpoch(),
                    d.transactionStartTimeMs().orElse(-1),
                    d.topicPartitions()));
        }
    }
}
