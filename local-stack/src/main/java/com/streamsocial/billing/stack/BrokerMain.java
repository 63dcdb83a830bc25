package com.streamsocial.billing.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;

/**
 * The single-node Kafka broker (KRaft, broker and controller) as its own process, for fault tests that
 * kill it with SIGKILL and start it again: its log directory is kept, and formatted only when it holds
 * no cluster yet, so a restart recovers the same cluster, topics, transactions and committed offsets.
 * Settings are system properties: {@code broker.port}, {@code broker.controllerPort}, {@code
 * broker.logDir} (all required). Prints {@code broker ready on <port>} once it answers clients.
 *
 * <p>One node of a cluster of several (see {@code BrokerCluster} in the loadtest module) also gets
 * {@code broker.nodeId}, {@code broker.voters} (the static quorum, {@code 1@127.0.0.1:9101,2@...}),
 * {@code broker.clusterId} (the same on every node) and {@code broker.replicas} (the cluster's size:
 * replication factor and min.insync.replicas of new and internal topics). All nodes of a cluster must
 * be started together: a node's start waits for a quorum of controllers.
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(required("broker.port"));
        int controllerPort = Integer.parseInt(required("broker.controllerPort"));
        Path logDir = Path.of(required("broker.logDir"));
        int nodeId = Integer.parseInt(System.getProperty("broker.nodeId", "1"));
        String voters = System.getProperty("broker.voters", nodeId + "@127.0.0.1:" + controllerPort);
        int replicas = Integer.parseInt(System.getProperty("broker.replicas", "1"));
        Files.createDirectories(logDir);
        // meta.properties is written by the formatter: its presence means the cluster exists.
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            String clusterId = System.getProperty("broker.clusterId");
            if (clusterId == null || clusterId.isBlank()) {
                if (voters.contains(",")) {
                    System.err.println("BrokerMain needs -Dbroker.clusterId for a cluster of several nodes");
                    System.exit(2);
                }
                clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
            }
            EmbeddedKafka.format(logDir, nodeId, clusterId);
            System.out.println("broker " + nodeId + " formatted cluster " + clusterId + " in " + logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(
                new KafkaConfig(
                        EmbeddedKafka.brokerProperties(
                                nodeId, voters, replicas, port, port, controllerPort, -1, logDir),
                        false),
                Time.SYSTEM);
        server.startup();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port))) {
            admin.describeCluster().nodes().get(120, TimeUnit.SECONDS);
        }
        System.out.println("broker ready on " + port);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.shutdown();
                            server.awaitShutdown();
                        },
                        "broker-shutdown"));
        server.awaitShutdown();
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            System.err.println("BrokerMain needs -D" + key);
            System.exit(2);
        }
        return v;
    }
}
