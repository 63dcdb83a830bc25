package com.streamsocial.billing.gateway;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.schema.MigrateCommand;
import com.streamsocial.billing.service.ServiceProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

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
            (docs/CONFIGURATION.md); for example --gateway.instanceId=gateway-2 --http.port=8082.
            Secrets (pg.password) never as -D or --: the environment, a file named by pg.passwordFile, or a
            configuration file only its owner can read.
            keys: manages tenants' API keys in the configured PostgreSQL (pg.uri). 'create' prints the new
            key as the last line of its output, this once only; 'list' shows ids, tenants, creation and
            revocation times, never keys; 'revoke' stops a key within 10 seconds on every gateway.
              Exit status: 1 start-up failure, 2 usage error, 3 gateway.instanceId held by another live process,
              4 instance lease lost while running (the gateway stopped serving), 6 SIGTERM's drain did not
              finish within shutdown.drainTimeoutMs. SIGTERM drains (docs/RUNNING.md) and exits 0.""";

    /** Exit statuses, as in {@link #USAGE} ({@link ServiceProcess}'s, and one of {@code keys}). */
    static final int EXIT_USAGE = ServiceProcess.EXIT_USAGE;

    static final int EXIT_INSTANCE_HELD = ServiceProcess.EXIT_INSTANCE_HELD;
    static final int EXIT_LEASE_LOST = ServiceProcess.EXIT_LEASE_LOST;
    /** {@code keys revoke} of an id that is unknown or already revoked. */
    static final int EXIT_NO_SUCH_KEY = 5;
    /** SIGTERM's drain did not finish within {@code shutdown.drainTimeoutMs}; the process exits anyway. */
    static final int EXIT_DRAIN_TIMEOUT = ServiceProcess.EXIT_DRAIN_TIMEOUT;

    private static final ServiceProcess PROCESS = new ServiceProcess("gateway");

    private GatewayMain() {}

    public static void main(String[] rawArgs) throws Exception {
        // Before anything logs: the file, the flags and the log format (exit 1 if they are unusable).
        Settings.Loaded loaded = Logging.loadAndConfigure("gateway", rawArgs);
        Settings settings = loaded.settings();
        String[] args = loaded.args().toArray(String[]::new);
        if (runCommand(args, settings)) {
            return;
        }
        GatewayConfig config;
        try {
            config = GatewayConfig.from(settings);
        } catch (IllegalArgumentException e) {
            // An invalid value stops start-up, naming its key, before anything connects.
            System.err.println("gateway refused to start: invalid setting: " + e.getMessage());
            System.exit(ServiceProcess.EXIT_START_FAILED);
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
                "webhook.",
                "log.");
        // One registry for the gateway's meters and Vert.x's own (HTTP server, pools, event loops).
        ServiceMetrics metrics = new ServiceMetrics();
        Vertx vertx =
                ServiceMetrics.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, config.producers())), metrics);
        Gateway gateway = PROCESS.deployOrExit(() -> Gateway.deploy(vertx, config, BatchFaults.NONE, metrics));
        PROCESS.exitOnLeaseLost(gateway.lease(), config.instanceId());
        PROCESS.drainOnShutdown(
                vertx,
                config.instanceId(),
                config.drainTimeoutMs(),
                () -> gateway.drain(config.drainTimeoutMs(), config.drainReadinessGraceMs()),
                () -> {});
    }

    /**
     * Runs the command {@code args} name (migrate, keys, help) and says so; exits on an unknown one.
     * Without arguments it returns false: the gateway itself is to run.
     */
    private static boolean runCommand(String[] args, Settings settings) throws Exception {
        if (args.length > 0 && args[0].equals("migrate")) {
            System.exit(
                    MigrateCommand.run("gateway.jar", java.util.Arrays.copyOfRange(args, 1, args.length), settings));
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return true;
        }
        if (args.length > 0 && args[0].equals("keys")) {
            System.exit(KeysCommand.run(args, settings, System.out, System.err));
            return true;
        }
        if (args.length > 0) {
            System.err.println("gateway.jar: unknown command: " + String.join(" ", args));
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        }
        return false;
    }
}
