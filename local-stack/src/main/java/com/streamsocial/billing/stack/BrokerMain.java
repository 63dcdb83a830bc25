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
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(required("broker.port"));
        int controllerPort = Integer.parseInt(required("broker.controllerPort"));
        Path logDir = Path.of(required("broker.logDir"));
        Files.createDirectories(logDir);
        // meta.properties is written by the formatter: its presence means the cluster exists.
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            EmbeddedKafka.format(logDir);
            System.out.println("broker formatted a new cluster in " + logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(
                new KafkaConfig(EmbeddedKafka.brokerProperties(port, port, controllerPort, -1, logDir), false),
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
