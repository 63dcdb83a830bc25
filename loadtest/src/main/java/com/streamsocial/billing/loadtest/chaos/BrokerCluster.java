package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.FreePorts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A Kafka cluster of {@code size} combined KRaft broker-controller nodes, each its own JVM ({@code
 * BrokerMain}) on loopback with free ports and one log directory under {@code work}, forming a static
 * quorum of {@code size} voters. With 3 nodes, topics get replication factor 3 and {@code
 * min.insync.replicas} 2, the internal topics too. A node can be killed with SIGKILL and restarted on
 * its kept log directory ({@link #node}). Used by {@code chaos --brokers}, {@code stack --brokers} and
 * the cluster ITs. Closing it kills every node; the log directories stay under {@code work}.
 */
public final class BrokerCluster implements AutoCloseable {
    /** Partitions per topic on a replicated cluster: room for several instances' consumers. */
    public static final int TOPIC_PARTITIONS = 12;
    /** Nodes of a cluster, at most: a quorum of 1, 3 or 5 voters. */
    public static final int SIZE_MAX = 5;
    /** Longest wait for the cluster to form (every node started at once, on 2 cores). */
    static final long START_TIMEOUT_MS = 180_000;

    private final List<ServiceProcess> nodes;
    private final String bootstrap;
    private final int size;

    private BrokerCluster(List<ServiceProcess> nodes, String bootstrap, int size) {
        this.nodes = nodes;
        this.bootstrap = bootstrap;
        this.size = size;
    }

    /** Starts {@code size} (1, 3 or 5) nodes together and waits until every one is registered. */
    public static BrokerCluster start(Path work, int size, int heapMb) throws Exception {
        if (size < 1 || size > SIZE_MAX || size % 2 == 0) {
            throw new IllegalArgumentException("a cluster has 1, 3 or 5 brokers, got " + size);
        }
        List<Integer> ports = new ArrayList<>();
        List<Integer> controllerPorts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ports.add(FreePorts.pick());
            controllerPorts.add(FreePorts.pick());
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < size; i++) {
            voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts.get(i));
        }
        String clusterId = Uuid.randomUuid().toString();
        List<ServiceProcess> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Map<String, String> p = new HashMap<>();
            p.put("broker.port", Integer.toString(ports.get(i)));
            p.put("broker.controllerPort", Integer.toString(controllerPorts.get(i)));
            // One node of one broker keeps chaos's single-broker directory name.
            p.put(
                    "broker.logDir",
                    work.resolve(size == 1 ? "kafka-logs" : "kafka-logs-" + (i + 1))
                            .toString());
            p.put("broker.nodeId", Integer.toString(i + 1));
            p.put("broker.voters", voters.toString());
            p.put("broker.clusterId", clusterId);
            p.put("broker.replicas", Integer.toString(size));
            nodes.add(new ServiceProcess(
                    "broker-" + (i + 1), "com.streamsocial.billing.stack.BrokerMain", heapMb, p, work));
        }
        String bootstrap = ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
        BrokerCluster cluster = new BrokerCluster(nodes, bootstrap, size);
        try {
            // Together: a node's start waits for a quorum of controllers.
            for (ServiceProcess n : nodes) {
                n.start();
            }
            for (ServiceProcess n : nodes) {
                if (!n.awaitLine("broker ready", START_TIMEOUT_MS)) {
                    throw new IllegalStateException(
                            n.name + " did not start; last lines of " + n.log() + ":\n" + n.tail(30));
                }
            }
            cluster.awaitBrokers(START_TIMEOUT_MS);
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Every node's client address, comma-separated: a client reaches the cluster while one is down. */
    public String bootstrap() {
        return bootstrap;
    }

    public int size() {
        return size;
    }

    /** Replicas per topic: the cluster's size, at most 3. */
    public int replicas() {
        return Math.min(size, 3);
    }

    /**
     * Creates the topics that do not exist yet: {@code partitions} each, with {@link #replicas()}
     * replicas and, when replicated, {@code min.insync.replicas} 2.
     */
    public void createTopics(List<String> names, int partitions) throws Exception {
        EmbeddedKafka.createTopics(bootstrap, names, partitions, replicas());
    }

    /** Node {@code index} (from 0), to kill and restart. */
    ServiceProcess node(int index) {
        return nodes.get(index);
    }

    List<ServiceProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** Waits until every node is registered with the controller quorum. */
    void awaitBrokers(long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                try {
                    int n = admin.describeCluster()
                            .nodes()
                            .get(10, TimeUnit.SECONDS)
                            .size();
                    if (n >= size) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // Not up yet.
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(
                            "the " + size + " brokers did not all register within " + timeoutMs + " ms");
                }
                Thread.sleep(200);
            }
        }
    }

    /** SIGKILL to every node. */
    @Override
    public void close() {
        for (ServiceProcess n : nodes) {
            try {
                n.kill();
            } catch (Exception e) {
                System.err.println("could not stop " + n.name + ": " + e);
            }
        }
    }
}
