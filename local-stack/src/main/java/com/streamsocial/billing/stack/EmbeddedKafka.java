package com.streamsocial.billing.stack;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (combined KRaft broker and controller) running in this JVM, from the
 * production {@code kafka_2.13} jars. Settings are the single-node ones: replication factor 1 for the
 * internal topics and no initial rebalance delay. Closing it stops the broker and deletes its log,
 * unless it was started on a kept log directory ({@link #startKept}).
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** {@code min.insync.replicas} of a replicated cluster: an acknowledged write is on two brokers. */
    public static final int CLUSTER_MIN_INSYNC_REPLICAS = 2;

    private final int port;
    private final Path logDir;
    private final KafkaRaftServer server;
    private final boolean deleteOnClose;
    /** Where this class's own admin calls go: the client port, or the plaintext internal one of a TLS broker. */
    private final String adminBootstrap;

    private EmbeddedKafka(int port, Path logDir, KafkaRaftServer server) {
        this(port, logDir, server, true);
    }

    private EmbeddedKafka(int port, Path logDir, KafkaRaftServer server, boolean deleteOnClose) {
        this(port, logDir, server, deleteOnClose, "127.0.0.1:" + port);
    }

    private EmbeddedKafka(int port, Path logDir, KafkaRaftServer server, boolean deleteOnClose, String adminBootstrap) {
        this.port = port;
        this.logDir = logDir;
        this.server = server;
        this.deleteOnClose = deleteOnClose;
        this.adminBootstrap = adminBootstrap;
    }

    /**
     * A broker on 127.0.0.1:{@code port} (0 picks a free one) whose log directory {@code logDir} is
     * kept: formatted as a new cluster only when it holds none yet ({@code meta.properties} is the
     * formatter's), else reopened with its cluster id, topics, transactions and committed offsets. After
     * an unclean stop the broker recovers its log itself. Closing it stops the broker and keeps the log.
     * The caller must own {@code logDir} (see {@link StackDataDir}).
     */
    public static EmbeddedKafka startKept(int port, Path logDir) throws Exception {
        int brokerPort = port == 0 ? FreePorts.pick() : port;
        Files.createDirectories(logDir);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(logDir);
        }
        // The controller's port is not part of the kept state: a single static voter, node 1, whatever
        // its address (as HangingTransactionIT reopens a saved log on new ports).
        Properties p = brokerProperties(brokerPort, brokerPort, FreePorts.pick(), -1, logDir);
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(brokerPort, logDir, server, false);
        try {
            kafka.awaitReady();
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /** Starts a broker on 127.0.0.1:{@code port}; {@code port} 0 picks a free one. */
    public static EmbeddedKafka start(int port) throws Exception {
        int brokerPort = port == 0 ? FreePorts.pick() : port;
        return start(brokerPort, brokerPort);
    }

    /**
     * Test support: a broker listening on {@code brokerPort} that tells clients to connect to
     * {@code advertisedPort} instead, where a test runs a proxy in front of it (to delay responses).
     * The proxy must forward to {@code brokerPort} before this is called. Replication between its own
     * listeners stays direct, on a separate inter-broker listener.
     */
    public static EmbeddedKafka startBehindProxy(int brokerPort, int advertisedPort) throws Exception {
        return start(brokerPort, advertisedPort);
    }

    /**
     * Test support: a broker on the existing log directory {@code logDir} (one this class or
     * {@link BrokerMain} formatted), on a free port; for tests that start from a broker's saved state.
     */
    public static EmbeddedKafka startOn(Path logDir) throws Exception {
        int brokerPort = FreePorts.pick();
        Properties p = brokerProperties(brokerPort, brokerPort, FreePorts.pick(), -1, logDir);
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(brokerPort, logDir, server);
        kafka.awaitReady();
        return kafka;
    }

    /**
     * Test support: a broker whose client listener, on a free port, speaks TLS only, with the key and
     * certificate chain of {@code keyAndCertificatePem} (one PEM file, the key unencrypted PKCS#8).
     * Clients must connect with {@code security.protocol=SSL} and a trust store holding the CA that
     * signed it. Replication and this class's own admin calls (readiness, {@link #createTopics}) use a
     * separate plaintext listener on loopback; clients that connect to the TLS port are told of it alone.
     */
    public static EmbeddedKafka startTls(Path keyAndCertificatePem) throws Exception {
        int brokerPort = FreePorts.pick();
        int internalPort = FreePorts.pick();
        Path logDir = TempDirs.create("billing-kafka-tls-");
        Properties p = brokerProperties(brokerPort, brokerPort, FreePorts.pick(), internalPort, logDir);
        p.put("listeners", p.getProperty("listeners").replace("PLAINTEXT://", "SSL://"));
        p.put("advertised.listeners", p.getProperty("advertised.listeners").replace("PLAINTEXT://", "SSL://"));
        p.put("listener.security.protocol.map", "SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("listener.name.ssl.ssl.keystore.type", "PEM");
        p.put("listener.name.ssl.ssl.keystore.location", keyAndCertificatePem.toString());
        format(logDir);
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(brokerPort, logDir, server, true, "127.0.0.1:" + internalPort);
        try {
            kafka.awaitReady();
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    private static EmbeddedKafka start(int brokerPort, int advertisedPort) throws Exception {
        int controllerPort = FreePorts.pick();
        int internalPort = advertisedPort == brokerPort ? -1 : FreePorts.pick();
        Path logDir = TempDirs.create("billing-kafka-");
        Properties p = brokerProperties(brokerPort, advertisedPort, controllerPort, internalPort, logDir);
        format(logDir);

        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(brokerPort, logDir, server);
        kafka.awaitReady();
        return kafka;
    }

    /**
     * The single-node settings (combined KRaft broker and controller); {@code internalPort} -1 for no
     * separate inter-broker listener. Shared with {@link BrokerMain}, the broker as its own process.
     */
    static Properties brokerProperties(
            int brokerPort, int advertisedPort, int controllerPort, int internalPort, Path logDir) {
        return brokerProperties(
                1,
                "1@127.0.0.1:" + controllerPort,
                1,
                brokerPort,
                advertisedPort,
                controllerPort,
                internalPort,
                logDir);
    }

    /**
     * The settings of node {@code nodeId} of a cluster of {@code replicas} combined broker-controller
     * nodes whose static quorum is {@code voters} ({@code 1@127.0.0.1:9101,2@...}). With {@code
     * replicas} 3: replication factor 3 and {@code min.insync.replicas} 2 for new topics and for the
     * internal ones (group offsets, transaction log), and unclean leader election off, so that an
     * acknowledged record is on two brokers and a lagging replica never becomes leader. With 1, the
     * single-node settings, where nothing can be replicated.
     */
    static Properties brokerProperties(
            int nodeId,
            String voters,
            int replicas,
            int brokerPort,
            int advertisedPort,
            int controllerPort,
            int internalPort,
            Path logDir) {
        Properties p = new Properties();
        p.put("node.id", Integer.toString(nodeId));
        p.put("process.roles", "broker,controller");
        if (internalPort < 0) {
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "PLAINTEXT");
        } else {
            p.put(
                    "listeners",
                    "PLAINTEXT://127.0.0.1:" + brokerPort + ",INTERNAL://127.0.0.1:" + internalPort
                            + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put(
                    "advertised.listeners",
                    "PLAINTEXT://127.0.0.1:" + advertisedPort + ",INTERNAL://127.0.0.1:" + internalPort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "INTERNAL");
        }
        p.put("controller.listener.names", "CONTROLLER");
        p.put("controller.quorum.voters", voters);
        p.put("log.dirs", logDir.toString());
        String minInsync = Integer.toString(Math.min(replicas, CLUSTER_MIN_INSYNC_REPLICAS));
        p.put("offsets.topic.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.min.isr", minInsync);
        p.put("default.replication.factor", Integer.toString(replicas));
        p.put("min.insync.replicas", minInsync);
        // The default, stated: a replica that was not in sync never becomes leader (no acknowledged loss).
        p.put("unclean.leader.election.enable", "false");
        if (replicas > 1) {
            // A SIGKILLed broker is fenced, and so leaves every ISR, after 6 s instead of 9 s: writes
            // with acks=all wait for it that much less (loopback, so heartbeats are not late).
            p.put("broker.heartbeat.interval.ms", "1000");
            p.put("broker.session.timeout.ms", "6000");
        }
        p.put("group.initial.rebalance.delay.ms", "0");
        // Fewer internal partitions than the production default of 50: faster start on 2 cores.
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "3");
        // The log cleaner's offset map is allocated on the heap at start, 128 MB by default: in the
        // stack's one JVM that heap is the services' too (JFR: 3% of all allocation, then old-generation
        // ballast). The compacted internal topics hold a few thousand keys here; 16 MB maps 500,000.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        return p;
    }

    /** Formats {@code logDir} as a fresh single-node cluster (node 1, a random cluster id). */
    static void format(Path logDir) throws Exception {
        format(logDir, 1, Uuid.randomUuid().toString());
    }

    /** Formats {@code logDir} as node {@code nodeId} of cluster {@code clusterId} (static quorum). */
    static void format(Path logDir, int nodeId, String clusterId) throws Exception {
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(nodeId)
                .setClusterId(clusterId)
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setControllerListenerName("CONTROLLER")
                .run();
    }

    public Path logDir() {
        return logDir;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void createTopics(List<String> names, int partitions) throws Exception {
        createTopics(adminBootstrap, names, partitions);
    }

    /** Creates, on the broker at {@code bootstrap}, the topics that do not exist yet (replication factor 1). */
    public static void createTopics(String bootstrap, List<String> names, int partitions) throws Exception {
        createTopics(bootstrap, names, partitions, 1);
    }

    /**
     * Creates, on the cluster at {@code bootstrap}, the topics that do not exist yet, with {@code
     * replicas} replicas and, when replicated, {@code min.insync.replicas} {@value
     * #CLUSTER_MIN_INSYNC_REPLICAS}; existing ones are left as they are.
     */
    public static void createTopics(String bootstrap, List<String> names, int partitions, int replicas)
            throws Exception {
        Map<String, String> configs =
                replicas > 1 ? Map.of("min.insync.replicas", Integer.toString(CLUSTER_MIN_INSYNC_REPLICAS)) : Map.of();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String name : names) {
                try {
                    admin.createTopics(List.of(new NewTopic(name, partitions, (short) replicas).configs(configs)))
                            .all()
                            .get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    private void awaitReady() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, adminBootstrap))) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws IOException {
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            TempDirs.delete(logDir);
        }
    }
}
