package com.streamsocial.billing.kafka;

import java.util.ArrayList;
import java.util.List;

/**
 * The verdict on whether the topics a service uses are replicated enough for {@code acks=all} to mean
 * something: every topic must exist with a replication factor of at least {@link
 * #REPLICATION_FACTOR_MIN} on every partition and a {@code min.insync.replicas} of at least {@link
 * #MIN_INSYNC_REPLICAS_MIN}. With fewer, an acknowledged write may live on one disk only, and a
 * broker loss loses it. Pure: the facts come from {@link TopicSafetyCheck}.
 */
public final class TopicSafety {
    /** The least replication factor accepted: one broker may be lost while another is being restarted. */
    public static final int REPLICATION_FACTOR_MIN = 3;
    /** The least {@code min.insync.replicas} accepted: an acknowledged write is on two brokers. */
    public static final int MIN_INSYNC_REPLICAS_MIN = 2;
    /** The setting that lets a service start on under-replicated topics (a single-broker stack). */
    public static final String OVERRIDE_SETTING = "topics.allowUnderReplicated";

    private TopicSafety() {}

    /**
     * What is known of one topic: whether it exists, the smallest replica count over its partitions
     * and its effective {@code min.insync.replicas}. {@code internal} topics (the transaction log,
     * the group offsets) are judged only when they exist: the broker creates them on first use.
     */
    public record TopicFacts(
            String topic, boolean exists, int replicationFactor, int minInsyncReplicas, boolean internal) {
        public static TopicFacts missing(String topic, boolean internal) {
            return new TopicFacts(topic, false, 0, 0, internal);
        }
    }

    /** One reason to refuse, naming the topic, the setting and both values. */
    public record Problem(String topic, String setting, int actual, int required) {
        @Override
        public String toString() {
            return actual < 0
                    ? topic + " does not exist"
                    : topic + ": " + setting + " is " + actual + ", at least " + required + " required";
        }
    }

    /** The problems found; empty when every topic is safe. */
    public record Verdict(List<Problem> problems) {
        public Verdict {
            problems = List.copyOf(problems);
        }

        public boolean safe() {
            return problems.isEmpty();
        }

        /** One line for the log or the start-up failure. */
        public String describe() {
            StringBuilder b = new StringBuilder();
            for (Problem p : problems) {
                b.append(b.isEmpty() ? "" : "; ").append(p);
            }
            return b.toString();
        }
    }

    /** Judges {@code topics}; the order of the problems follows the order of the facts. */
    public static Verdict judge(List<TopicFacts> topics) {
        List<Problem> problems = new ArrayList<>();
        for (TopicFacts t : topics) {
            if (!t.exists()) {
                if (!t.internal()) {
                    problems.add(new Problem(t.topic(), "existence", -1, 1));
                }
                continue;
            }
            if (t.replicationFactor() < REPLICATION_FACTOR_MIN) {
                problems.add(
                        new Problem(t.topic(), "replication factor", t.replicationFactor(), REPLICATION_FACTOR_MIN));
            }
            if (t.minInsyncReplicas() < MIN_INSYNC_REPLICAS_MIN) {
                problems.add(
                        new Problem(t.topic(), "min.insync.replicas", t.minInsyncReplicas(), MIN_INSYNC_REPLICAS_MIN));
            }
        }
        return new Verdict(problems);
    }
}
