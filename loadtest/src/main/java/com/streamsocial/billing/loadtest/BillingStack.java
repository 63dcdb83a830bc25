package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.loadtest.chaos.BrokerCluster;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TempDirs;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxMain;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline in one JVM on embedded defaults: a real Kafka broker (KRaft) on 127.0.0.1:9092,
 * a real PostgreSQL on 127.0.0.1:5433, the gateway on 8080 and the processor (health on 8081). Runs
 * until Ctrl-C, then stops everything and deletes the broker's and the database's data. With {@code
 * brokers} 3, Kafka is instead a 3-node KRaft cluster of separate JVMs on free ports ({@link
 * BrokerCluster}: replication factor 3, min.insync.replicas 2, 12 partitions), and with {@code
 * processors} N, N processors run in one group (health on 8081, 8082, ...).
 */
public final class BillingStack implements AutoCloseable {
    /** Processors in one stack, at most. */
    public static final int PROCESSORS_MAX = 4;

    private final Infra infra;
    /** One Vert.x per service, so that each one's {@code /metrics} shows its own HTTP and pool meters. */
    private final Vertx vertx;

    private final Vertx sandboxVertx;
    private final Gateway gateway;
    private final List<Processor> processors;
    private final List<Vertx> processorVertxes;
    private final String sandboxDeployment;
    private final int sandboxPort;

    private BillingStack(
            Infra infra,
            Vertx vertx,
            List<Vertx> processorVertxes,
            Vertx sandboxVertx,
            Gateway gateway,
            List<Processor> processors,
            String sandboxDeployment,
            int sandboxPort) {
        this.infra = infra;
        this.vertx = vertx;
        this.processorVertxes = processorVertxes;
        this.sandboxVertx = sandboxVertx;
        this.gateway = gateway;
        this.processors = processors;
        this.sandboxDeployment = sandboxDeployment;
        this.sandboxPort = sandboxPort;
    }

    /** Kafka and PostgreSQL of the stack: one embedded broker, or a cluster of broker JVMs. */
    record Infra(String kafkaBootstrap, String pgUri, int brokers, AutoCloseable closer) {}

    /** One broker in this JVM, one processor: the stack as it always was. */
    public static BillingStack start(Settings settings) throws Exception {
        return start(settings, 1, 1);
    }

    /** {@code brokers} 1 or 3, {@code processors} 1..{@value #PROCESSORS_MAX}. */
    public static BillingStack start(Settings settings, int brokers, int processorCount) throws Exception {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("--brokers must be 1 or 3, got " + brokers);
        }
        if (processorCount < 1 || processorCount > PROCESSORS_MAX) {
            throw new IllegalArgumentException("--processors must be 1.." + PROCESSORS_MAX + ", got " + processorCount);
        }
        Infra infra = brokers == 1 ? single(settings) : cluster(settings, brokers);
        int sandboxPort = settings.integer("stack.sandboxPort", 8090);
        if (sandboxPort == 0) {
            sandboxPort = FreePorts.pick();
        }
        Map<String, String> wiring = new HashMap<>();
        wiring.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        wiring.put("pg.uri", infra.pgUri());
        if (brokers == 1) {
            // One broker cannot replicate: the services start anyway, with a WARN (DEPLOYMENT.md).
            wiring.putAll(LocalInfra.SINGLE_BROKER);
        }
        // The processor charges through the stack's own sandbox unless told otherwise.
        wiring.put("provider.baseUrl", settings.string("provider.baseUrl", "http://127.0.0.1:" + sandboxPort));
        Settings s = settings.with(wiring);
        ServiceMetrics gatewayMetrics = new ServiceMetrics();
        ServiceMetrics processorMetrics = new ServiceMetrics();
        Vertx vertx = ServiceMetrics.vertx(
                new VertxOptions()
                        .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())),
                gatewayMetrics);
        List<Vertx> processorVertxes = new ArrayList<>();
        processorVertxes.add(ServiceMetrics.vertx(new VertxOptions(), processorMetrics));
        Vertx sandboxVertx = Vertx.vertx();
        try {
            ProcessorConfig pc = ProcessorConfig.from(s);
            SandboxProvider sandbox = new SandboxProvider(
                    "127.0.0.1",
                    sandboxPort,
                    infra.pgUri(),
                    pc.providerSecretKey(),
                    SandboxMain.faults(settings),
                    SandboxMain.limits(settings));
            String sandboxId = sandboxVertx
                    .deployVerticle(sandbox)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            // The development tenant's key: only the local stack has such a default (README, Authentication).
            TenantKeys.ensure(infra.pgUri(), TenantKeys.DEV_TENANT, TenantKeys.devKey());
            Gateway gateway = Gateway.deploy(vertx, GatewayConfig.from(s), BatchFaults.NONE, gatewayMetrics)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            List<Processor> processors = new ArrayList<>();
            for (int k = 1; k <= processorCount; k++) {
                ProcessorConfig config = pc;
                ServiceMetrics meters = processorMetrics;
                if (k > 1) {
                    // One group, its own instance id (lease, static membership, transactional ids),
                    // health port and meters; in its own Vert.x as a separate process would be.
                    config = ProcessorConfig.from(s.with(Map.of(
                            "processor.instanceId",
                            "processor-" + k,
                            "processor.httpPort",
                            Integer.toString(pc.httpPort() + k - 1))));
                    meters = new ServiceMetrics();
                    processorVertxes.add(ServiceMetrics.vertx(new VertxOptions(), meters));
                }
                processors.add(Processor.deploy(processorVertxes.get(k - 1), config, null, meters)
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(60, TimeUnit.SECONDS));
            }
            return new BillingStack(
                    infra, vertx, processorVertxes, sandboxVertx, gateway, processors, sandboxId, sandboxPort);
        } catch (Exception e) {
            vertx.close();
            processorVertxes.forEach(Vertx::close);
            sandboxVertx.close();
            infra.closer().close();
            throw e;
        }
    }

    private static Infra single(Settings settings) throws Exception {
        LocalInfra local =
                LocalInfra.start(settings.integer("stack.kafkaPort", 9092), settings.integer("stack.pgPort", 5433));
        return new Infra(local.kafkaBootstrap(), local.pgUri(), 1, local);
    }

    /**
     * PostgreSQL in this JVM and a cluster of {@code brokers} broker JVMs on free ports, their log
     * directories in a temporary directory deleted on close; topics with {@value
     * BrokerCluster#TOPIC_PARTITIONS} partitions, replication factor 3 and min.insync.replicas 2.
     */
    private static Infra cluster(Settings settings, int brokers) throws Exception {
        EmbeddedPg pg = EmbeddedPg.start(settings.integer("stack.pgPort", 5433));
        Path work = null;
        try {
            work = TempDirs.create("billing-cluster-");
            BrokerCluster cluster = BrokerCluster.start(work, brokers, 512);
            cluster.createTopics(Topics.ALL, BrokerCluster.TOPIC_PARTITIONS);
            Path dir = work;
            return new Infra(cluster.bootstrap(), pg.uri(), brokers, () -> {
                try {
                    cluster.close();
                } finally {
                    try {
                        pg.close();
                    } finally {
                        TempDirs.delete(dir);
                    }
                }
            });
        } catch (Exception e) {
            pg.close();
            if (work != null) {
                TempDirs.delete(work);
            }
            throw e;
        }
    }

    public static void main(String[] args) throws Exception {
        run(1, 1);
    }

    /** Runs the stack until Ctrl-C: {@code loadtest.jar stack [--brokers 3] [--processors N]}. */
    public static void run(int brokers, int processorCount) throws Exception {
        Settings settings = Settings.fromEnvironment();
        long t0 = System.nanoTime();
        BillingStack stack = start(settings, brokers, processorCount);
        GatewayConfig g = GatewayConfig.from(settings);
        ProcessorConfig p = ProcessorConfig.from(settings);
        String pgPort = stack.infra.pgUri().replaceAll(".*:(\\d+)/.*", "$1");
        System.out.printf(
                """

                StreamSocial billing stack is up (%d ms). Ctrl-C stops it and deletes its data.
                  gateway     http://localhost:%d   (POST /v1/payments, GET /v1/payments/{id}, /health/ready, /metrics)
                  processor   %s   (/health/ready, /metrics)
                  sandbox     http://localhost:%d   (Stripe subset: /v1/payment_intents, /v1/refunds, /v1/balance_transactions; /sandbox/faults)
                  kafka       %s   (%s)
                              e.g. kcat -b %s -C -t payments.results -X isolation.level=read_committed
                  postgresql  %s   e.g. psql -h 127.0.0.1 -p %s -U postgres -c 'select status, count(*) from payments group by 1'
                  api key     %s   (tenant %s, development only; PAYMENTS_DEV_API_KEY sets another)
                  try:        curl -i -X POST localhost:%d/v1/payments -H 'Authorization: Bearer %s' \\
                                -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \\
                                -d '{"amount":1999,"currency":"USD","customer_id":"cus_42","payment_method":"pm_card_visa"}'

                """,
                (System.nanoTime() - t0) / 1_000_000,
                g.httpPort(),
                processorUrls(p.httpPort(), processorCount),
                stack.sandboxPort,
                stack.infra.kafkaBootstrap(),
                brokers == 1
                        ? "one broker in this JVM; topics not replicated"
                        : brokers + " broker JVMs, KRaft quorum of " + brokers + "; topics: "
                                + BrokerCluster.TOPIC_PARTITIONS + " partitions, replication factor 3,"
                                + " min.insync.replicas 2",
                stack.infra.kafkaBootstrap(),
                stack.infra.pgUri(),
                pgPort,
                TenantKeys.devKey(),
                TenantKeys.DEV_TENANT,
                g.httpPort(),
                TenantKeys.devKey());
        Thread stopper = new Thread(
                () -> {
                    System.out.println("stopping the billing stack...");
                    stack.close();
                    System.out.println("stopped; nothing left behind");
                },
                "stack-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        Thread.currentThread().join();
    }

    private static String processorUrls(int firstPort, int count) {
        List<String> urls = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            urls.add("http://localhost:" + (firstPort + k));
        }
        return String.join(" ", urls);
    }

    @Override
    public void close() {
        try {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            for (Processor processor : processors) {
                processor.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            sandboxVertx
                    .undeploy(sandboxDeployment)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            List<Vertx> all = new ArrayList<>(processorVertxes);
            all.add(vertx);
            all.add(sandboxVertx);
            for (Vertx v : all) {
                v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("services did not stop cleanly: " + e);
        }
        try {
            infra.closer().close();
        } catch (Exception e) {
            System.err.println("infrastructure did not stop cleanly: " + e);
        }
    }
}
