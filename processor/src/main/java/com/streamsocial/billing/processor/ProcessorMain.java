package com.streamsocial.billing.processor;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.reconcile.ReconcileCommand;
import com.streamsocial.billing.schema.MigrateCommand;
import com.streamsocial.billing.service.ServiceMain;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * {@code java -jar processor.jar}: runs one processor against the configured Kafka and PostgreSQL;
 * {@code java -jar processor.jar reconcile ...}: one reconciliation run (see {@link ReconcileCommand});
 * {@code java -jar processor.jar migrate}: applies the schema migrations and exits (see {@link
 * MigrateCommand}).
 * Any other argument is refused with the usage and exit status 2, before it connects anywhere. What
 * is the processor's own; the rest of the process is {@link ServiceMain}'s, shared with the gateway.
 */
public final class ProcessorMain extends ServiceMain.Service<ProcessorConfig, Processor> {
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

    private ProcessorMain() {
        super(
                "processor",
                USAGE,
                Map.of(
                        "reconcile",
                        (args, settings) -> ReconcileCommand.run(Arrays.copyOfRange(args, 1, args.length), settings),
                        "migrate",
                        (args, settings) -> MigrateCommand.run(
                                "processor.jar", Arrays.copyOfRange(args, 1, args.length), settings)),
                "processor.",
                "provider.",
                "reconcile.",
                "pg.",
                "shutdown.",
                "topics.",
                "tracing.",
                "log.",
                "dev.");
    }

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
        ServiceMain.run(new ProcessorMain(), rawArgs);
    }

    @Override
    protected ProcessorConfig configure(Settings settings) {
        ProcessorConfig config = ProcessorConfig.from(settings);
        requirePlaintextAllowed(config, settings.bool(HTTP_PLAINTEXT, false));
        DevModes.require(config);
        return config;
    }

    @Override
    protected VertxOptions vertxOptions(ProcessorConfig config) {
        return new VertxOptions();
    }

    @Override
    protected Future<Processor> deploy(Vertx vertx, ProcessorConfig config, ServiceMetrics metrics) {
        return Processor.deploy(vertx, config, null, metrics);
    }

    /** A log line (so one JSON object with log.format=json); tests and chaos wait for its text. */
    @Override
    protected void started(ProcessorConfig config) {
        log().info("processor {} ready", config.instanceId());
    }

    @Override
    protected Future<Void> drain(Processor processor, ProcessorConfig config) {
        return processor.close();
    }

    @Override
    protected void checkDrained(Processor processor) throws TimeoutException {
        if (!processor.drained()) {
            // Stopped at the bound with a batch in hand: its transaction aborts.
            throw new TimeoutException("a loop was still in its batch at the drain bound");
        }
    }
}
