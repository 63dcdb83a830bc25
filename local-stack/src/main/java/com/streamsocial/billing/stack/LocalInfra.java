package com.streamsocial.billing.stack;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.TopicSafety;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The infrastructure of the local stack: one real Kafka broker and one real PostgreSQL, both in this
 * JVM, with the pipeline's topics created. Production points the services at its own cluster instead.
 */
public final class LocalInfra implements AutoCloseable {
    /** Partitions per topic on the embedded broker: enough for several producers on 2 cores. */
    public static final int TOPIC_PARTITIONS = 3;

    /**
     * What a gateway or processor on this single broker must be told: its topics cannot have
     * replication factor 3 and min.insync.replicas 2, so they start anyway (with a WARN). Only the
     * local stack and the single-broker tests set it; a replicated cluster never needs it.
     */
    public static final Map<String, String> SINGLE_BROKER = Map.of(TopicSafety.OVERRIDE_SETTING, "true");

    private final EmbeddedKafka kafka;
    private final EmbeddedPg pg;

    private LocalInfra(EmbeddedKafka kafka, EmbeddedPg pg) {
        this.kafka = kafka;
        this.pg = pg;
    }

    /** Ports of 0 pick free ones (tests); the local stack passes 9092 and 5433. */
    public static LocalInfra start(int kafkaPort, int pgPort) throws Exception {
        EmbeddedPg pg = EmbeddedPg.start(pgPort);
        try {
            EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort);
            kafka.createTopics(Topics.ALL, TOPIC_PARTITIONS);
            return new LocalInfra(kafka, pg);
        } catch (Exception e) {
            pg.close();
            throw e;
        }
    }

    /** Test support: {@code settings} with {@link #SINGLE_BROKER} added. */
    public static Settings singleBrokerSettings(Map<String, String> settings) {
        return Settings.of(singleBroker(settings));
    }

    /**
     * Test support: a copy of {@code settings} with {@link #SINGLE_BROKER} added, and a gateway's
     * management listener on any free loopback port unless {@code management.port} is given, so that
     * gateways of one test do not contend for the default port. A gateway also registers customers
     * on first use ({@link #TEST_FIRST_USE}) unless {@code settings} say otherwise.
     */
    public static Map<String, String> singleBroker(Map<String, String> settings) {
        Map<String, String> out = new HashMap<>(settings);
        out.putAll(SINGLE_BROKER);
        out.putIfAbsent("management.port", "0");
        out.putIfAbsent(TEST_FIRST_USE, "true");
        return out;
    }

    /**
     * The gateway's trust on first use ({@code OwnershipConfig.FIRST_USE}), off in production (issue
     * 19 §1). The tests pay with fresh customer ids, as a development stack (dev.mode=true) does, and
     * some 15 test classes in the gateway and loadtest modules start gateways through this helper:
     * set here, once, rather than in each. A test of the production default removes it (OwnershipIT).
     */
    public static final String TEST_FIRST_USE = "gateway.ownership.firstUse";

    /**
     * The same on the kept directory {@code data}, which the caller has locked: PostgreSQL first (a
     * postmaster left by a killed stack is stopped before anything else), then the broker; each part
     * is marked initialized once its server has come up on it, and the topics that exist already are
     * left as they are. Closing it stops both and keeps their data.
     */
    public static LocalInfra startKept(int kafkaPort, int pgPort, StackDataDir data) throws Exception {
        Path pgDir = data.pg();
        EmbeddedPg pg = EmbeddedPg.startKept(pgPort, pgDir);
        try {
            data.markInitialized(pgDir);
            Path kafkaDir = data.kafka();
            EmbeddedKafka kafka = EmbeddedKafka.startKept(kafkaPort, kafkaDir);
            try {
                data.markInitialized(kafkaDir);
                kafka.createTopics(Topics.ALL, TOPIC_PARTITIONS);
            } catch (Exception e) {
                kafka.close();
                throw e;
            }
            return new LocalInfra(kafka, pg);
        } catch (Exception e) {
            pg.close();
            throw e;
        }
    }

    public String kafkaBootstrap() {
        return kafka.bootstrapServers();
    }

    public String pgUri() {
        return pg.uri();
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    @Override
    public void close() throws Exception {
        try {
            kafka.close();
        } finally {
            pg.close();
        }
    }

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        try (LocalInfra infra = start(0, 0)) {
            System.out.printf(
                    "kafka %s pg %s up in %d ms%n",
                    infra.kafkaBootstrap(), infra.pgUri(), (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
