package com.streamsocial.billing.kafka;

import com.streamsocial.billing.kafka.TopicSafety.TopicFacts;
import com.streamsocial.billing.kafka.TopicSafety.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;

/**
 * The start-up check of a service's topics: reads each topic's replica counts and effective {@code
 * min.insync.replicas} with an admin client (every {@code kafka.*} pass-through setting applied, so it
 * reaches a TLS/SASL cluster as the producers do), and has {@link TopicSafety} judge them. Blocking:
 * call it off the event loop.
 */
public final class TopicSafetyCheck {
    /** The transaction log and the group offsets: exactly-once depends on them as much as on ours. */
    public static final String TRANSACTION_STATE = "__transaction_state";

    public static final String CONSUMER_OFFSETS = "__consumer_offsets";

    /** Longest wait for the broker's answers at start. */
    private static final long TIMEOUT_S = 30;

    private TopicSafetyCheck() {}

    /**
     * Checks {@code topics} (and {@code internalTopics} where they exist). Throws {@link
     * UnsafeTopicsException} naming every problem, unless {@code allowUnderReplicated}, which skips
     * the check with a WARN: the single-broker local stack and tests, where nothing can be replicated.
     */
    public static void requireSafe(
            Map<String, Object> kafka,
            List<String> topics,
            List<String> internalTopics,
            boolean allowUnderReplicated,
            String service,
            Logger log)
            throws Exception {
        if (allowUnderReplicated) {
            log.warn(
                    "{}: {}=true: the replication of {} is NOT checked; an acknowledged payment may be on one"
                            + " broker only. For a single-broker development stack or tests, never in production.",
                    service,
                    TopicSafety.OVERRIDE_SETTING,
                    topics);
            return;
        }
        Verdict v = TopicSafety.judge(facts(kafka, topics, internalTopics));
        if (!v.safe()) {
            throw new UnsafeTopicsException(service + " refuses to start on under-replicated topics: " + v.describe()
                    + " (set " + TopicSafety.OVERRIDE_SETTING + "=true only for a single-broker development"
                    + " stack)");
        }
        log.info(
                "{}: topics {} and {} replicated: replication factor >= {}, min.insync.replicas >= {}",
                service,
                topics,
                internalTopics,
                TopicSafety.REPLICATION_FACTOR_MIN,
                TopicSafety.MIN_INSYNC_REPLICAS_MIN);
    }

    /** What the cluster says of each topic, in the order given ({@code topics}, then {@code internalTopics}). */
    static List<TopicFacts> facts(Map<String, Object> kafka, List<String> topics, List<String> internalTopics)
            throws Exception {
        List<String> all = new ArrayList<>(topics);
        all.addAll(internalTopics);
        List<TopicFacts> out = new ArrayList<>();
        try (Admin admin = Admin.create(KafkaSafety.admin(kafka))) {
            Map<String, KafkaFuture<TopicDescription>> described =
                    admin.describeTopics(all).topicNameValues();
            Map<String, TopicDescription> found = new HashMap<>();
            for (String t : all) {
                try {
                    found.put(t, described.get(t).get(TIMEOUT_S, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
            List<ConfigResource> resources = found.keySet().stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                    .toList();
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(resources).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            for (String t : all) {
                boolean internal = internalTopics.contains(t);
                TopicDescription d = found.get(t);
                if (d == null) {
                    out.add(TopicFacts.missing(t, internal));
                    continue;
                }
                int rf = d.partitions().stream()
                        .mapToInt(p -> p.replicas().size())
                        .min()
                        .orElse(0);
                ConfigEntry minIsr = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t))
                        .get("min.insync.replicas");
                int isr = minIsr == null || minIsr.value() == null ? 1 : Integer.parseInt(minIsr.value());
                out.add(new TopicFacts(t, true, rf, isr, internal));
            }
        }
        return out;
    }

    /** A start refused because a topic is under-replicated; the message names each topic and value. */
    public static final class UnsafeTopicsException extends IllegalStateException {
        public UnsafeTopicsException(String message) {
            super(message);
        }
    }
}
