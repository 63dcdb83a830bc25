package com.streamsocial.billing.gateway;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.schema.MigrateCommand;
import com.streamsocial.billing.service.ServiceMain;
import com.streamsocial.billing.service.ServiceProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code java -jar gateway.jar}: runs one gateway process against the configured Kafka and PostgreSQL;
 * {@code java -jar gateway.jar migrate}: applies the schema migrations and exits (see {@link
 * MigrateCommand}); {@code java -jar gateway.jar keys ...}: manages API keys ({@link KeysCommand}).
 * Anything else is refused with its usage and exit status 2, before it connects anywhere. What is
 * the gateway's own; the rest of the process is {@link ServiceMain}'s, shared with the processor.
 */
public final class GatewayMain extends ServiceMain.Service<GatewayConfig, Gateway> {
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

    /** {@code keys revoke} of an id that is unknown or already revoked (the others: {@link ServiceProcess}'s). */
    static final int EXIT_NO_SUCH_KEY = 5;

    private GatewayMain() {
        super(
                "gateway",
                USAGE,
                Map.of(
                        "migrate",
                        (args, settings) ->
                                MigrateCommand.run("gateway.jar", Arrays.copyOfRange(args, 1, args.length), settings),
                        "keys",
                        (args, settings) -> KeysCommand.run(args, settings, System.out, System.err)),
                "gateway.",
                "http.",
                "pg.",
                "shutdown.",
                "topics.",
                "webhook.",
                "tracing.",
                "log.");
    }

    public static void main(String[] rawArgs) throws Exception {
        ServiceMain.run(new GatewayMain(), rawArgs);
    }

    @Override
    protected GatewayConfig configure(Settings settings) {
        return GatewayConfig.from(settings);
    }

    /** An event loop per producer lane, two at least. */
    @Override
    protected VertxOptions vertxOptions(GatewayConfig config) {
        return new VertxOptions().setEventLoopPoolSize(Math.max(2, config.producers()));
    }

    @Override
    protected Future<Gateway> deploy(Vertx vertx, GatewayConfig config, ServiceMetrics metrics) {
        return Gateway.deploy(vertx, config, BatchFaults.NONE, metrics);
    }

    @Override
    protected Future<Void> drain(Gateway gateway, GatewayConfig config) {
        return gateway.drain(config.drainTimeoutMs(), config.drainReadinessGraceMs());
    }
}
