package com.streamsocial.billing.gateway;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.lease.LeaseHeldException;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.schema.MigrateCommand;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar gateway.jar}: runs one gateway process against the configured Kafka and PostgreSQL;
 * {@code java -jar gateway.jar migrate}: applies the schema migrations and exits (see {@link
 * MigrateCommand}); {@code java -jar gateway.jar keys ...}: manages API keys ({@link KeysCommand}).
 * Anything else is refused with its usage and exit status 2, before it connects anywhere.
 */
public final class GatewayMain {
    static final String USAGE = """
            usage: java -jar gateway.jar [--config FILE] [--<setting>=<value> ...] [--help]
                   java -jar gateway.jar [--config FILE] [--<setting>=<value> ...] migrate   (migrate --help)
                   java -jar gateway.jar [--config FILE] [--<setting>=<value> ...] keys create TENANT | keys list | keys revoke KEY_ID
            Without a command, runs one gateway against the configured Kafka and PostgreSQL (it migrates the
            schema at start too; migrate only migrates, for running before a rolling deploy).
            Settings, in rising precedence: defaults, the properties file named by --config FILE (or
            BILLING_CONFIG_FILE), BILLING_* environment variables, -D<setting>=<value>, --<setting>=<value>
            (README, Configuration); for example --gateway.instanceId=gateway-2 --http.port=8082.
            Secrets (pg.password) never as -D or --: the environment, a file named by pg.passwordFile, or a
            configuration file only its owner can read.
            keys: manages tenants' API keys in the configured PostgreSQL (pg.uri). 'create' prints the new
            key as the last line of its output, this once only; 'list' shows ids, tenants, creation and
            revocation times, never keys; 'revoke' stops a key within 10 seconds on every gateway.
              Exit status: 1 start-up failure, 2 usage error, 3 gateway.instanceId held by another live process,
              4 instance lease lost while running (the gateway stopped serving), 6 SIGTERM's drain did not
              finish within shutdown.drainTimeoutMs. SIGTERM drains (README, Shutdown) and exits 0.""";

    /** Exit statuses, as in {@link #USAGE}. */
    static final int EXIT_USAGE = 2;

    static final int EXIT_INSTANCE_HELD = 3;
    static final int EXIT_LEASE_LOST = 4;
    /** {@code keys revoke} of an id that is unknown or already revoked. */
    static final int EXIT_NO_SUCH_KEY = 5;
    /** SIGTERM's drain did not finish within {@code shutdown.drainTimeoutMs}; the process exits anyway. */
    static final int EXIT_DRAIN_TIMEOUT = 6;

    /** What the shutdown hook exits with: 0 after SIGTERM, or what {@code System.exit} asked for. */
    private static volatile int exitStatus = 0;

    private GatewayMain() {}

    public static void main(String[] rawArgs) throws Exception {
        // Before anything logs: the file, the flags and the log format (exit 1 if they are unusable).
        Settings.Loaded loaded = Logging.loadAndConfigure("gateway", rawArgs);
        Settings settings = loaded.settings();
        String[] args = loaded.args().toArray(String[]::new);
        if (args.length > 0 && args[0].equals("migrate")) {
            System.exit(
                    MigrateCommand.run("gateway.jar", java.util.Arrays.copyOfRange(args, 1, args.length), settings));
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        if (args.length > 0 && args[0].equals("keys")) {
            System.exit(KeysCommand.run(args, settings, System.out, System.err));
            return;
        }
        if (args.length > 0) {
            System.err.println("gateway.jar: unknown command: " + String.join(" ", args));
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        }
        GatewayConfig config;
        try {
            config = GatewayConfig.from(settings);
        } catch (IllegalArgumentException e) {
            // An invalid value stops start-up, naming its key, before anything connects.
            System.err.println("gateway refused to start: invalid setting: " + e.getMessage());
            System.exit(1);
            return;
        }
        settings.logEffective(
                org.slf4j.LoggerFactory.getLogger(GatewayMain.class),
                "gateway",
                "gateway.",
                "http.",
                "pg.",
                "shutdown.",
                "topics.",
                "log.");
        // One registry for the gateway's meters and Vert.x's own (HTTP server, pools, event loops).
        ServiceMetrics metrics = new ServiceMetrics();
        Vertx vertx =
                ServiceMetrics.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, config.producers())), metrics);
        Gateway gateway;
        try {
            gateway = Gateway.deploy(vertx, config, BatchFaults.NONE, metrics).await();
        } catch (Throwable e) {
            LeaseHeldException held = LeaseHeldException.in(e);
            if (held == null) {
                // Exit instead of leaving the JVM up on Vert.x's threads with nothing deployed.
                System.err.println("gateway failed to start: " + e);
                e.printStackTrace();
                System.exit(1);
                return;
            }
            // Nothing was started: no producer (so nothing fenced), no listener.
            System.err.println("gateway refused to start: " + held.getMessage());
            System.exit(EXIT_INSTANCE_HELD);
            return;
        }
        gateway.lease().onLost(e -> {
            System.err.println("gateway " + config.instanceId() + " lost its instance lease (" + e + "); stopping");
            exitStatus = EXIT_LEASE_LOST;
            // Not on this event loop: exiting waits for the shutdown hook, which needs the event loops.
            new Thread(() -> System.exit(EXIT_LEASE_LOST), "gateway-lease-lost").start();
        });
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM (or System.exit) runs this: drain, bounded by shutdown.drainTimeoutMs, then exit.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            int status = exitStatus;
                            long deadline = System.currentTimeMillis() + config.drainTimeoutMs();
                            try {
                                gateway.drain(config.drainTimeoutMs(), config.drainReadinessGraceMs())
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(config.drainTimeoutMs(), TimeUnit.MILLISECONDS);
                                vertx.close()
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                                System.err.println("gateway " + config.instanceId() + " drained and stopped");
                            } catch (Exception e) {
                                System.err.println("gateway did not drain within shutdown.drainTimeoutMs ("
                                        + config.drainTimeoutMs() + " ms): " + e);
                                status = status == 0 ? EXIT_DRAIN_TIMEOUT : status;
                            } finally {
                                stopped.countDown();
                            }
                            System.out.flush();
                            System.err.flush();
                            // A JVM ended by SIGTERM exits 143 whatever its hooks did; a completed drain
                            // is a clean stop, so say so with 0 (or the status System.exit asked for).
                            Runtime.getRuntime().halt(status);
                        },
                        "gateway-shutdown"));
        stopped.await();
    }
}
