package com.streamsocial.billing.processor;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.reconcile.ReconcileCommand;
import com.streamsocial.billing.schema.MigrateCommand;
import com.streamsocial.billing.service.ServiceProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * {@code java -jar processor.jar}: runs one processor against the configured Kafka and PostgreSQL;
 * {@code java -jar processor.jar reconcile ...}: one reconciliation run (see {@link ReconcileCommand});
 * {@code java -jar processor.jar migrate}: applies the schema migrations and exits (see {@link
 * MigrateCommand}).
 * Any other argument is refused with the usage and exit status 2, before it connects anywhere.
 */
public final class ProcessorMain {
    static final String USAGE = """
            usage: java -jar processor.jar [--config FILE] [--<setting>=<value> ...] [--help]
                   java -jar processor.jar [--config FILE] [--<setting>=<value> ...] reconcile [options]   (reconcile --help)
                   java -jar processor.jar [--config FILE] [--<setting>=<value> ...] migrate   (migrate --help)
              Without a command, runs one processor against the configured Kafka and PostgreSQL (it migrates the
              schema at start too; migrate only migrates, for running before a rolling deploy).
              Settings, in rising precedence: defaults, the properties file named by --config FILE (or
              BILLING_CONFIG_FILE), BILLING_* environment variables, -D<setting>=<value>, --<setting>=<value>
              (docs/CONFIGURATION.md); for example --processor.instanceId=processor-2 --processor.httpPort=8082.
              Secrets (provider.secretKey) never as -D or --: the environment, a file named by
              provider.secretKeyFile, or a configuration file only its owner can read.
              Development only, refused without dev.mode=true: provider.kind=approve-all, processor.guarantee
              at-least-once or at-most-once, and the sandbox's well-known key as the default provider key.
              Exit status: 1 start-up failure, 2 usage error, 3 processor.instanceId held by another live process,
              4 instance lease lost while running (the processor stopped consuming), 6 SIGTERM's drain did
              not finish within shutdown.drainTimeoutMs. SIGTERM drains (docs/RUNNING.md) and exits 0.""";

    /** Exit statuses, as in {@link #USAGE}: {@link ServiceProcess}'s. */
    static final int EXIT_USAGE = ServiceProcess.EXIT_USAGE;

    static final int EXIT_INSTANCE_HELD = ServiceProcess.EXIT_INSTANCE_HELD;
    static final int EXIT_LEASE_LOST = ServiceProcess.EXIT_LEASE_LOST;
    /** SIGTERM's drain did not finish within {@code shutdown.drainTimeoutMs}; the process exits anyway. */
    static final int EXIT_DRAIN_TIMEOUT = ServiceProcess.EXIT_DRAIN_TIMEOUT;

    private static final ServiceProcess PROCESS = new ServiceProcess("processor");

    private ProcessorMain() {}

    /** Says the processor's health and metrics port may be plaintext off loopback (a proxy or a private network). */
    static final String HTTP_PLAINTEXT = "processor.httpPlaintext";

    /**
     * Health and metrics (its HTTP port) carry no TLS: off loopback they start only when {@value
     * #HTTP_PLAINTEXT} says so, with a WARN; otherwise the start is refused (exit 1), as the gateway's.
     */
    static void requirePlaintextAllowed(ProcessorConfig config, boolean plaintext) {
        if (config.httpPort() < 0 || com.streamsocial.billing.config.Loopback.is(config.httpHost())) {
            return;
        }
        if (!plaintext) {
            throw new IllegalArgumentException("processor.httpHost=" + config.httpHost()
                    + " is not a loopback address and its health and metrics port has no TLS: set "
                    + HTTP_PLAINTEXT + "=true to serve it in plaintext (a private network or a proxy in front)");
        }
        org.slf4j.LoggerFactory.getLogger(ProcessorMain.class)
                .warn(
                        "processor health and metrics served in plaintext on {}, which is not loopback ({}=true)",
                        config.httpHost(),
                        HTTP_PLAINTEXT);
    }

    public static void main(String[] rawArgs) throws Exception {
        // Before anything logs: the file, the flags and the log format (exit 1 if they are unusable).
        Settings.Loaded loaded = Logging.loadAndConfigure("processor", rawArgs);
        Settings settings = loaded.settings();
        String[] args = loaded.args().toArray(String[]::new);
        if (runCommand(args, settings)) {
            return;
        }
        ProcessorConfig config;
        try {
            config = ProcessorConfig.from(settings);
            requirePlaintextAllowed(config, settings.bool(HTTP_PLAINTEXT, false));
            DevModes.require(config);
        } catch (IllegalArgumentException e) {
            // An invalid value stops start-up, naming its key, before anything connects.
            System.err.println("processor refused to start: invalid setting: " + e.getMessage());
            System.exit(ServiceProcess.EXIT_START_FAILED);
            return;
        }
        settings.logEffective(
                org.slf4j.LoggerFactory.getLogger(ProcessorMain.class),
                "processor",
                "processor.",
                "provider.",
                "reconcile.",
                "pg.",
                "shutdown.",
                "topics.",
                "log.",
                "dev.");
        // One registry for the processor's meters and Vert.x's own (HTTP, pools, event loops).
        ServiceMetrics metrics = new ServiceMetrics();
        Vertx vertx = ServiceMetrics.vertx(new VertxOptions(), metrics);
        Processor processor = PROCESS.deployOrExit(() -> Processor.deploy(vertx, config, null, metrics));
        PROCESS.exitOnLeaseLost(processor.lease(), config.instanceId());
        // A log line (so one JSON object with log.format=json); tests and chaos wait for its text.
        org.slf4j.LoggerFactory.getLogger(ProcessorMain.class).info("processor {} ready", config.instanceId());
        PROCESS.drainOnShutdown(vertx, config.instanceId(), config.drainTimeoutMs(), processor::close, () -> {
            if (!processor.drained()) {
                // Stopped at the bound with a batch in hand: its transaction aborts.
                throw new java.util.concurrent.TimeoutException("a loop was still in its batch at the drain bound");
            }
        });
    }

    /** Runs the command {@code args} name (reconcile, migrate, help) and says so; exits on an unknown one. */
    private static boolean runCommand(String[] args, Settings settings) throws Exception {
        if (args.length > 0 && args[0].equals("reconcile")) {
            System.exit(ReconcileCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), settings));
        }
        if (args.length > 0 && args[0].equals("migrate")) {
            System.exit(
                    MigrateCommand.run("processor.jar", java.util.Arrays.copyOfRange(args, 1, args.length), settings));
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return true;
        }
        if (args.length > 0) {
            System.err.println("processor.jar: unknown command: " + String.join(" ", args));
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        }
        return false;
    }
}
