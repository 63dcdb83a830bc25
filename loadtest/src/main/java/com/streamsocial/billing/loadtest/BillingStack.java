package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.webhook.WebhookConfig;
import com.streamsocial.billing.lease.InstanceLease;
import com.streamsocial.billing.loadtest.chaos.BrokerCluster;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.StackDataDir;
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
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The whole pipeline in one JVM on embedded defaults: a real Kafka broker (KRaft) on 127.0.0.1:9092,
 * a real PostgreSQL on 127.0.0.1:5433, the gateway on 8080 and the processor (health on 8081). Runs
 * until Ctrl-C, then stops everything. Its data (the broker's log, the database with the ledger and
 * the sandbox's charges) is kept in a data directory that one live stack at a time owns, and a
 * restart resumes from it; a fresh stack uses scratch directories and deletes them when it stops.
 * With {@code
 * brokers} 3, Kafka is instead a 3-node KRaft cluster of separate JVMs on free ports ({@link
 * BrokerCluster}: replication factor 3, min.insync.replicas 2, 12 partitions), always fresh; with
 * {@code processors} N, N processors run in one group (health on 8081, 8082, ...). A gateway or
 * processor that stops by itself (its instance lease lost) is restarted, as an orchestrator would
 * ({@link StackSupervisor}).
 */
public final class BillingStack implements AutoCloseable {
    /** Processors in one stack, at most. */
    public static final int PROCESSORS_MAX = 4;

    /** The stack's per-tenant buckets unless set: out of the harness's way (see {@link #start}). */
    static final String STACK_TENANT_LIMIT = "1000000";

    /** The local stack's Stripe webhook secret, shared by its sandbox and its gateway; well known, loopback only. */
    static final String DEV_WEBHOOK_SECRET = "whsec_local";

    /** The local stack's PayPal webhook id: its sandbox sends to it, and verifies it for the gateway. */
    static final String DEV_PAYPAL_WEBHOOK_ID = "WH-LOCAL";

    private final Infra infra;
    /** Runs the gateway and the processors, each in its own Vert.x, and restarts one that stops by itself. */
    private final StackSupervisor services;

    private final Vertx sandboxVertx;
    private final String sandboxDeployment;
    private final int sandboxPort;

    private BillingStack(
            Infra infra, StackSupervisor services, Vertx sandboxVertx, String sandboxDeployment, int sandboxPort) {
        this.infra = infra;
        this.services = services;
        this.sandboxVertx = sandboxVertx;
        this.sandboxDeployment = sandboxDeployment;
        this.sandboxPort = sandboxPort;
    }

    /** Exit status of a stack refused because another live stack owns its data directory. */
    public static final int EXIT_DATA_DIR_IN_USE = 3;

    /** Kafka and PostgreSQL of the stack: one embedded broker, or a cluster of broker JVMs. */
    record Infra(String kafkaBootstrap, String pgUri, int brokers, AutoCloseable closer) {}

    /** A fresh stack, one broker in this JVM, one processor: empty at start, deleted when closed. */
    public static BillingStack start(Settings settings) throws Exception {
        return start(settings, 1, 1, null);
    }

    /**
     * {@code brokers} 1 or 3, {@code processors} 0..{@value #PROCESSORS_MAX} (0: nothing consumes the
     * billing topic, to measure the gateway's ingest alone); on the locked data
     * directory {@code data}, or fresh when it is null. A 3-broker stack is always fresh.
     */
    public static BillingStack start(Settings settings, int brokers, int processorCount, StackDataDir data)
            throws Exception {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("--brokers must be 1 or 3, got " + brokers);
        }
        if (processorCount < 0 || processorCount > PROCESSORS_MAX) {
            throw new IllegalArgumentException("--processors must be 0.." + PROCESSORS_MAX + ", got " + processorCount);
        }
        if (brokers != 1 && data != null) {
            throw new IllegalArgumentException("a " + brokers + "-broker stack is always fresh: no data directory");
        }
        Infra infra = brokers == 1 ? single(settings, data) : cluster(settings, brokers);
        int sandboxPort = settings.integer("stack.sandboxPort", 8090);
        if (sandboxPort == 0) {
            sandboxPort = FreePorts.pick();
        }
        Settings s = settings.with(wiring(settings, infra, brokers, sandboxPort));
        Vertx sandboxVertx = Vertx.vertx();
        StackSupervisor services = new StackSupervisor();
        try {
            ProcessorConfig pc = ProcessorConfig.from(s);
            GatewayConfig gc = GatewayConfig.from(s);
            String sandboxId = deploySandbox(
                    sandboxVertx,
                    settings,
                    sandboxPort,
                    infra.pgUri(),
                    pc.providerSecretKey(),
                    "http://127.0.0.1:" + gc.httpPort(),
                    gc.webhooks());
            // The development tenant's key: only the local stack has such a default (docs/API.md, Authentication).
            TenantKeys.ensure(infra.pgUri(), TenantKeys.DEV_TENANT, TenantKeys.devKey());
            superviseServices(services, s, pc, processorCount);
            return new BillingStack(infra, services, sandboxVertx, sandboxId, sandboxPort);
        } catch (Exception e) {
            services.close();
            sandboxVertx.close();
            infra.closer().close();
            throw e;
        }
    }

    /** What the stack sets for its services on top of {@code settings}: where things are, and its development defaults. */
    private static Map<String, String> wiring(Settings settings, Infra infra, int brokers, int sandboxPort) {
        Map<String, String> wiring = new HashMap<>();
        wiring.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        wiring.put("pg.uri", infra.pgUri());
        if (brokers == 1) {
            // One broker cannot replicate: the services start anyway, with a WARN (DEPLOYMENT.md).
            wiring.putAll(LocalInfra.SINGLE_BROKER);
        }
        // One development tenant that the harness pushes far past one tenant's production rate
        // (`max` goes to 30,000/s): the stack lifts the per-tenant buckets unless told otherwise
        // (-Dlimits.tenantWritesPerS=2500 measures with the production default). The fair share of
        // the lanes' queues still applies.
        for (String limit : List.of(
                "limits.tenantWritesPerS",
                "limits.tenantWriteBurst",
                "limits.tenantReadsPerS",
                "limits.tenantReadBurst")) {
            wiring.put(limit, settings.string(limit, STACK_TENANT_LIMIT));
        }
        // A development stack: the sandbox's key, approve-all and the naive guarantees are allowed
        // (DevModes; -Ddev.mode=false makes the stack refuse them as production would).
        wiring.put("dev.mode", settings.string("dev.mode", "true"));
        // The processor charges through the stack's own sandbox unless told otherwise.
        wiring.put("provider.baseUrl", settings.string("provider.baseUrl", "http://127.0.0.1:" + sandboxPort));
        // Stripe webhooks from the sandbox to the gateway, signed with a development secret unless one is set.
        String webhookSecret = settings.secret("webhook.stripe.secret");
        wiring.put("webhook.stripe.secret", webhookSecret == null ? DEV_WEBHOOK_SECRET : webhookSecret);
        // PayPal webhooks too, verified through the sandbox's verify-webhook-signature API, unless set.
        if (settings.string("webhook.paypal.webhookId", null) == null) {
            wiring.put("webhook.paypal.webhookId", DEV_PAYPAL_WEBHOOK_ID);
            wiring.put("webhook.paypal.baseUrl", "http://127.0.0.1:" + sandboxPort);
            wiring.put("webhook.paypal.clientId", "sandbox-client-id");
            wiring.put("webhook.paypal.clientSecret", "sandbox-client-secret");
        }
        return wiring;
    }

    /** The stack's sandbox provider, with the faults and limits {@code settings} give it: its deployment id. */
    private static String deploySandbox(
            Vertx sandboxVertx,
            Settings settings,
            int sandboxPort,
            String pgUri,
            String secretKey,
            String gatewayUrl,
            WebhookConfig webhooks)
            throws Exception {
        SandboxProvider sandbox = new SandboxProvider(
                "127.0.0.1", sandboxPort, pgUri, secretKey, SandboxMain.faults(settings), SandboxMain.limits(settings));
        sandbox.sendWebhooksTo(
                gatewayUrl + "/v1/webhooks/stripe", webhooks.stripeSecrets().get(0));
        if (webhooks.paypalOn()) {
            sandbox.sendPayPalWebhooksTo(gatewayUrl + "/v1/webhooks/paypal", webhooks.paypalWebhookId());
        }
        return sandboxVertx
                .deployVerticle(sandbox)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    /** The gateway, then {@code processorCount} processors (processor-1 configured as {@code pc}). */
    private static void superviseServices(StackSupervisor services, Settings s, ProcessorConfig pc, int processorCount)
            throws Exception {
        GatewayConfig gc = GatewayConfig.from(s);
        services.supervise("gateway " + gc.instanceId(), () -> gateway(gc));
        for (int k = 1; k <= processorCount; k++) {
            // One group, its own instance id (lease, static membership, transactional ids), health
            // port and meters; in its own Vert.x as a separate process would be.
            ProcessorConfig config = k == 1
                    ? pc
                    : ProcessorConfig.from(s.with(Map.of(
                            "processor.instanceId",
                            "processor-" + k,
                            "processor.httpPort",
                            Integer.toString(pc.httpPort() + k - 1))));
            services.supervise("processor " + config.instanceId(), () -> processor(config));
        }
    }

    /** A gateway in a Vert.x of its own, with fresh meters, as a new process would have. */
    private static StackSupervisor.Running gateway(GatewayConfig config) throws Exception {
        return inOwnVertx(
                new VertxOptions()
                        .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())),
                (vertx, meters) -> Gateway.deploy(vertx, config, BatchFaults.NONE, meters)
                        .map(g -> new Deployed(g.whenClosed(), g.lease(), g::close)));
    }

    /** A processor in a Vert.x of its own, with fresh meters, as a new process would have. */
    private static StackSupervisor.Running processor(ProcessorConfig config) throws Exception {
        return inOwnVertx(
                new VertxOptions(),
                (vertx, meters) -> Processor.deploy(vertx, config, null, meters)
                        .map(p -> new Deployed(p.whenClosed(), p.lease(), p::close)));
    }

    /** What the supervisor needs of a deployed gateway or processor. */
    private record Deployed(
            io.vertx.core.Future<Void> whenClosed, InstanceLease lease, Supplier<io.vertx.core.Future<Void>> close) {}

    /**
     * Deploys a service in a Vert.x of its own (closed if the deployment fails), with fresh meters;
     * stopping it closes the service (30 s at most), then its Vert.x (10 s).
     */
    private static StackSupervisor.Running inOwnVertx(
            VertxOptions options, BiFunction<Vertx, ServiceMetrics, io.vertx.core.Future<Deployed>> deploy)
            throws Exception {
        ServiceMetrics meters = new ServiceMetrics();
        Vertx vertx = ServiceMetrics.vertx(options, meters);
        try {
            Deployed d = await(deploy.apply(vertx, meters), 60);
            return new StackSupervisor.Running(
                    d.whenClosed(), () -> "lease: " + d.lease().reason(), () -> {
                        await(d.close().get(), 30);
                        await(vertx.close(), 10);
                        return null;
                    });
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
    }

    private static <T> T await(io.vertx.core.Future<T> f, long timeoutS) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(timeoutS, TimeUnit.SECONDS);
    }

    private static Infra single(Settings settings, StackDataDir data) throws Exception {
        int kafkaPort = settings.integer("stack.kafkaPort", 9092);
        int pgPort = settings.integer("stack.pgPort", 5433);
        LocalInfra local =
                data == null ? LocalInfra.start(kafkaPort, pgPort) : LocalInfra.startKept(kafkaPort, pgPort, data);
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
        System.exit(run(1, 1, Main.Stack.DEFAULT_DATA_DIR));
    }

    /**
     * Default of {@code stack.warmupSeconds}, the most a warm-up may take: payments through the whole
     * stack before the banner, until its JIT is quiet, so that the hot paths are compiled when the
     * user's first load arrives ({@link StackWarmup}). 180, not 60: the one JVM's C2 compiler was
     * still busy after 200 s of load, and after a 60 s warm-up the README's first {@code run --rate
     * 500} had a p99 of 233-549 ms; after 180 s, 215 and 247 ms (docs/BENCHMARKS.md, 2026-12-07).
     */
    static final int WARMUP_SECONDS_DEFAULT = 180;

    /**
     * Runs the stack until the JVM is stopped ({@code loadtest.jar stack [--brokers 3] [--processors
     * N] [--data-dir DIR | --fresh]}): on {@code dataDir} (locked for the stack's life; a restart
     * resumes from it), or fresh when it is null. Returns {@link #EXIT_DATA_DIR_IN_USE}, having touched
     * nothing, if another live stack owns {@code dataDir}; otherwise never returns.
     */
    public static int run(int brokers, int processorCount, Path dataDir) throws Exception {
        Settings settings = Settings.fromEnvironment();
        long t0 = System.nanoTime();
        StackDataDir data = null;
        if (dataDir != null) {
            try {
                data = StackDataDir.lock(dataDir);
            } catch (StackDataDir.InUseException e) {
                System.err.println("refused: " + e.getMessage());
                return EXIT_DATA_DIR_IN_USE;
            }
        }
        BillingStack stack;
        try {
            stack = start(settings, brokers, processorCount, data);
        } catch (Exception e) {
            if (data != null) {
                data.close();
            }
            throw e;
        }
        warmUp(settings, stack, processorCount);
        printBanner(settings, stack, brokers, processorCount, data, t0);
        stopOnShutdown(stack, data);
        Thread.currentThread().join();
        return 0;
    }

    /** The gateway's settings as the stack wires them (dev.mode=true unless set), for where it listens. */
    private static GatewayConfig gatewayConfig(Settings settings) {
        return GatewayConfig.from(settings.with(Map.of("dev.mode", settings.string("dev.mode", "true"))));
    }

    /** Payments of the warm-up tenant until the JIT is quiet ({@link StackWarmup}), unless turned off. */
    private static void warmUp(Settings settings, BillingStack stack, int processorCount) throws Exception {
        GatewayConfig g = gatewayConfig(settings);
        int warmupS = settings.integer("stack.warmupSeconds", WARMUP_SECONDS_DEFAULT);
        if (warmupS > 0 && processorCount > 0) {
            System.out.println("warming up the JIT before reporting ready: payments of tenant " + StackWarmup.TENANT
                    + " until it is quiet, " + warmupS + " s at most (stack.warmupSeconds=0 skips it)...");
            System.out.println(StackWarmup.run(
                    "http://127.0.0.1:" + g.httpPort(), stack.infra.kafkaBootstrap(), stack.infra.pgUri(), warmupS));
        }
    }

    /** Where everything listens, how to reach it, and the development key; {@code t0} is the start. */
    private static void printBanner(
            Settings settings, BillingStack stack, int brokers, int processorCount, StackDataDir kept, long t0) {
        GatewayConfig g = gatewayConfig(settings);
        ProcessorConfig p = ProcessorConfig.from(settings);
        String pgPort = stack.infra.pgUri().replaceAll(".*:(\\d+)/.*", "$1");
        System.out.printf(
                """

                StreamSocial billing stack is up (%d ms). Ctrl-C stops it%s.
                  gateway     http://localhost:%d   (POST /v1/payments, GET /v1/payments/{id}, /health/ready: up or down)
                  management  http://localhost:%d   (the gateway's /health/ready with its checks, /metrics)
                  processor   %s   (/health/ready, /metrics; provider.kind=%s)
                  sandbox     http://localhost:%d   (Stripe subset: /v1/payment_intents, /v1/refunds, /v1/balance_transactions;
                                                     PayPal subset: /v1/oauth2/token, /v2/checkout/orders, /v1/reporting/transactions; /sandbox/faults)
                  kafka       %s   (%s)
                              e.g. kcat -b %s -C -t payments.results -X isolation.level=read_committed
                  postgresql  %s   e.g. psql -h 127.0.0.1 -p %s -U postgres -c 'select status, count(*) from payments group by 1'
                  api key     %s   (tenant %s, development only; PAYMENTS_DEV_API_KEY sets another)
                  try:        curl -i -X POST localhost:%d/v1/payments -H 'Authorization: Bearer %s' \\
                                -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \\
                                -d '{"amount":1999,"currency":"USD","customer_id":"cus_42","payment_method":"pm_card_visa"}'

                """,
                (System.nanoTime() - t0) / 1_000_000,
                kept == null
                        ? " and deletes its data (--fresh)"
                        : "; its data stays in " + kept.dir() + " for the next start (--fresh for a throwaway stack)",
                g.httpPort(),
                g.managementPort(),
                processorUrls(p.httpPort(), processorCount),
                p.providerKind(),
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
    }

    /** On the JVM's stop: stops the stack, then releases {@code kept} (the data directory), if any. */
    private static void stopOnShutdown(BillingStack stack, StackDataDir kept) {
        Thread stopper = new Thread(
                () -> {
                    System.out.println("stopping the billing stack...");
                    stack.close();
                    if (kept == null) {
                        System.out.println("stopped; nothing left behind");
                        return;
                    }
                    try {
                        kept.close();
                    } catch (java.io.IOException e) {
                        System.err.println("could not release the lock on " + kept.dir() + ": " + e);
                    }
                    System.out.println("stopped; data kept in " + kept.dir());
                },
                "stack-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
    }

    private static String processorUrls(int firstPort, int count) {
        if (count == 0) {
            return "none (--processors 0: payments.billing is not consumed)";
        }
        List<String> urls = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            urls.add("http://localhost:" + (firstPort + k));
        }
        return String.join(" ", urls);
    }

    @Override
    public void close() {
        services.close();
        try {
            sandboxVertx
                    .undeploy(sandboxDeployment)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            sandboxVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
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
