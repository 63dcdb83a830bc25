package com.streamsocial.billing.service;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.metrics.ServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code main} of both {@code gateway.jar} and {@code processor.jar}: settings and logging, the
 * commands, the configuration checked, the service deployed under its lease, and the SIGTERM drain.
 * Each service says only what is its own ({@link Service}); the process around it is {@link
 * ServiceProcess}.
 */
public final class ServiceMain {
    /** A command of a jar besides the service itself, such as {@code migrate}: its exit status. */
    @FunctionalInterface
    public interface Command {
        /** {@code args} as given, the command's name first. */
        int run(String[] args, Settings settings) throws Exception;
    }

    /**
     * What one service's {@code main} is made of: its name, usage, commands and setting prefixes, and
     * what only it can do; {@code C} is its configuration, {@code S} the running service.
     */
    public abstract static class Service<C extends ServiceConfig, S extends RunningService> {
        private final String name;
        private final String usage;
        private final Map<String, Command> commands;
        private final String[] settingPrefixes;

        /**
         * {@code name}, "gateway" or "processor", starts its messages and names its threads and its jar;
         * {@code usage} is printed for {@code --help} and after an unknown command; {@code commands}, by
         * their name (the first argument), each exit the process with their status; {@code settingPrefixes}
         * are its settings', for the warning about an unknown one.
         */
        protected Service(String name, String usage, Map<String, Command> commands, String... settingPrefixes) {
            this.name = name;
            this.usage = usage;
            this.commands = Map.copyOf(commands);
            this.settingPrefixes = settingPrefixes.clone();
        }

        /** The configuration; an invalid setting throws {@link IllegalArgumentException} naming its key. */
        protected abstract C configure(Settings settings);

        protected abstract VertxOptions vertxOptions(C config);

        protected abstract Future<S> deploy(Vertx vertx, C config, ServiceMetrics metrics);

        /** SIGTERM's drain, within {@code shutdown.drainTimeoutMs}. */
        protected abstract Future<Void> drain(S service, C config);

        /** Once deployed and tied to its lease, before the process waits for SIGTERM. */
        protected void started(C config) {}

        /** After the drain, with Vert.x closed: throws when the drain fell short. */
        protected void checkDrained(S service) throws Exception {}

        /** Where it logs its configuration (and what else it logs at start): its own class's logger. */
        protected final Logger log() {
            return LoggerFactory.getLogger(getClass());
        }
    }

    private ServiceMain() {}

    /**
     * Runs {@code service} from the command line {@code rawArgs}; returns once SIGTERM's drain has run,
     * or a command has, or the process exits with one of {@link ServiceProcess}'s statuses.
     */
    public static <C extends ServiceConfig, S extends RunningService> void run(Service<C, S> service, String[] rawArgs)
            throws Exception {
        // Before anything logs: the file, the flags and the log format (exit 1 if they are unusable).
        Settings.Loaded loaded = Logging.loadAndConfigure(service.name, rawArgs);
        Settings settings = loaded.settings();
        String[] args = loaded.args().toArray(String[]::new);
        if (runCommand(service, args, settings)) {
            return;
        }
        C config = configureOrExit(service, settings);
        settings.logEffective(service.log(), service.name, service.settingPrefixes);
        // One registry for the service's meters and Vert.x's own (HTTP, pools, event loops).
        ServiceMetrics metrics = new ServiceMetrics();
        Vertx vertx = ServiceMetrics.vertx(service.vertxOptions(config), metrics);
        ServiceProcess process = new ServiceProcess(service.name);
        S running = process.deployOrExit(() -> service.deploy(vertx, config, metrics));
        process.exitOnLeaseLost(running.lease(), config.instanceId());
        service.started(config);
        process.drainOnShutdown(
                vertx,
                config.instanceId(),
                config.drainTimeoutMs(),
                () -> service.drain(running, config),
                () -> service.checkDrained(running));
    }

    /** An invalid value stops start-up, naming its key, before anything connects. */
    private static <C extends ServiceConfig> C configureOrExit(Service<C, ?> service, Settings settings) {
        try {
            return service.configure(settings);
        } catch (IllegalArgumentException e) {
            System.err.println(service.name + " refused to start: invalid setting: " + e.getMessage());
            System.exit(ServiceProcess.EXIT_START_FAILED);
            throw new IllegalStateException("unreachable", e);
        }
    }

    /**
     * Runs the command {@code args} name, or prints the usage for {@code --help}, and says so; exits
     * on an unknown one. Without arguments it returns false: the service itself is to run.
     */
    private static boolean runCommand(Service<?, ?> service, String[] args, Settings settings) throws Exception {
        if (args.length == 0) {
            return false;
        }
        Command command = service.commands.get(args[0]);
        if (command != null) {
            System.exit(command.run(args, settings));
            return true;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(service.usage);
            return true;
        }
        System.err.println(service.name + ".jar: unknown command: " + String.join(" ", args));
        System.err.println(service.usage);
        System.exit(ServiceProcess.EXIT_USAGE);
        return true;
    }
}
