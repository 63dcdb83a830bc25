package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.StackDataDir;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.sandbox.SandboxMain;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline in one JVM on embedded defaults: a real Kafka broker (KRaft) on 127.0.0.1:9092,
 * a real PostgreSQL on 127.0.0.1:5433, the gateway on 8080 and the processor (health on 8081). Runs
 * until Ctrl-C, then stops everything. Its data (the broker's log, the database with the ledger and
 * the sandbox's charges) is kept in a data directory that one live stack at a time owns, and a
 * restart resumes from it; a fresh stack uses scratch directories and deletes them when it stops.
 */
public final class BillingStack implements AutoCloseable {
    private final LocalInfra infra;
    /** One Vert.x per service, so that each one's {@code /metrics} shows its own HTTP and pool meters. */
    private final Vertx vertx;

    private final Vertx processorVertx;
    private final Vertx sandboxVertx;
    private final Gateway gateway;
    private final Processor processor;
    private final String sandboxDeployment;
    private final int sandboxPort;

    private BillingStack(
            LocalInfra infra,
            Vertx vertx,
            Vertx processorVertx,
            Vertx sandboxVertx,
            Gateway gateway,
            Processor processor,
            String sandboxDeployment,
            int sandboxPort) {
        this.infra = infra;
        this.vertx = vertx;
        this.processorVertx = processorVertx;
        this.sandboxVertx = sandboxVertx;
        this.gateway = gateway;
        this.processor = processor;
        this.sandboxDeployment = sandboxDeployment;
        this.sandboxPort = sandboxPort;
    }

    /** Exit status of a stack refused because another live stack owns its data directory. */
    public static final int EXIT_DATA_DIR_IN_USE = 3;

    /** A fresh stack: empty at start, deleted when closed. */
    public static BillingStack start(Settings settings) throws Exception {
        return start(settings, null);
    }

    /** On the locked data directory {@code data}, or fresh when it is null. */
    public static BillingStack start(Settings settings, StackDataDir data) throws Exception {
        int kafkaPort = settings.integer("stack.kafkaPort", 9092);
        int pgPort = settings.integer("stack.pgPort", 5433);
        LocalInfra infra =
                data == null ? LocalInfra.start(kafkaPort, pgPort) : LocalInfra.startKept(kafkaPort, pgPort, data);
        int sandboxPort = settings.integer("stack.sandboxPort", 8090);
        if (sandboxPort == 0) {
            sandboxPort = FreePorts.pick();
        }
        Map<String, String> wiring = new HashMap<>();
        wiring.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        wiring.put("pg.uri", infra.pgUri());
        // The processor charges through the stack's own sandbox unless told otherwise.
        wiring.put("provider.baseUrl", settings.string("provider.baseUrl", "http://127.0.0.1:" + sandboxPort));
        Settings s = settings.with(wiring);
        ServiceMetrics gatewayMetrics = new ServiceMetrics();
        ServiceMetrics processorMetrics = new ServiceMetrics();
        Vertx vertx = ServiceMetrics.vertx(
                new VertxOptions()
                        .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())),
                gatewayMetrics);
        Vertx processorVertx = ServiceMetrics.vertx(new VertxOptions(), processorMetrics);
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
            Processor processor = Processor.deploy(processorVertx, pc, null, processorMetrics)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            return new BillingStack(
                    infra, vertx, processorVertx, sandboxVertx, gateway, processor, sandboxId, sandboxPort);
        } catch (Exception e) {
            vertx.close();
            processorVertx.close();
            sandboxVertx.close();
            infra.close();
            throw e;
        }
    }

    public LocalInfra infra() {
        return infra;
    }

    /**
     * Runs the stack until the JVM is stopped: on {@code dataDir} (locked for the stack's life; a
     * restart resumes from it), or fresh when it is null. Returns {@link #EXIT_DATA_DIR_IN_USE}, having
     * touched nothing, if another live stack owns {@code dataDir}; otherwise never returns.
     */
    public static int run(Path dataDir) throws Exception {
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
            stack = start(settings, data);
        } catch (Exception e) {
            if (data != null) {
                data.close();
            }
            throw e;
        }
        StackDataDir kept = data;
        GatewayConfig g = GatewayConfig.from(settings);
        ProcessorConfig p = ProcessorConfig.from(settings);
        String pgPort = stack.infra.pgUri().replaceAll(".*:(\\d+)/.*", "$1");
        System.out.printf(
                """

                StreamSocial billing stack is up (%d ms). Ctrl-C stops it%s.
                  gateway     http://localhost:%d   (POST /v1/payments, GET /v1/payments/{id}, /health/ready, /metrics)
                  processor   http://localhost:%d   (/health/ready, /metrics)
                  sandbox     http://localhost:%d   (Stripe subset: /v1/payment_intents, /v1/refunds, /v1/balance_transactions; /sandbox/faults)
                  kafka       %s   e.g. kcat -b %s -C -t payments.results -X isolation.level=read_committed
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
                p.httpPort(),
                stack.sandboxPort,
                stack.infra.kafkaBootstrap(),
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
        Thread.currentThread().join();
        return 0;
    }

    @Override
    public void close() {
        try {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            processor.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            sandboxVertx
                    .undeploy(sandboxDeployment)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            for (Vertx v : List.of(vertx, processorVertx, sandboxVertx)) {
                v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("services did not stop cleanly: " + e);
        }
        try {
            infra.close();
        } catch (Exception e) {
            System.err.println("infrastructure did not stop cleanly: " + e);
        }
    }
}
