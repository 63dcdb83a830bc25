package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.processor.ProcessorConfig;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code java -jar processor.jar reconcile [flags]}: one reconciliation run, a dry run unless
 * {@code --repair}. Prints a summary table, writes the JSON report, and exits 0 only when it found no
 * break. Defaults: the local stack's addresses (or the processor's settings) and the last 24 hours.
 */
public final class ReconcileCommand {
    static final String USAGE = """
            usage: java -jar processor.jar [--config FILE] [--<setting>=<value> ...] reconcile [--help] [--hours N | --from T [--to T]] [--repair] [--report FILE]
                   [--kafka HOST:PORT] [--pg URI] [--provider URL] [--provider-key-file FILE]
                   [--grace-ms MS (reconcile.graceMs: 60 s, 3 h against PayPal itself)] [--stuck-after-ms MS] [--group PROCESSOR_GROUP_ID]
              T is an ISO-8601 instant (2026-11-27T08:00:00Z) or epoch milliseconds.
              Exit status: 0 no breaks, 1 breaks found (repaired with --repair; lagging ones never are),
              2 usage or run error. foreign_charge (another system's charge) is reported, never counted.
              The report read is provider.kind's: Stripe's balance transactions, or PayPal's Transaction
              Search (provider.clientId; the key file then holds the client secret).""";

    private ReconcileCommand() {}

    /** {@code args} are those after {@code reconcile}; {@code settings} the processor's ({@link Settings#load}). */
    public static int run(String[] args, Settings settings) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return 0;
        }
        try {
            ReconcileOptions o = parse(args, settings, System.currentTimeMillis());
            Vertx vertx = Vertx.vertx();
            try {
                ReconcileReport report = new Reconciler(vertx, o).run();
                Files.writeString(
                        o.reportFile(),
                        report.toJson(o.fromMs(), o.toMs(), o.repair()).encodePrettily());
                System.out.printf(
                        "reconciliation %s .. %s%s%n",
                        Instant.ofEpochMilli(o.fromMs()),
                        Instant.ofEpochMilli(o.toMs()),
                        o.repair() ? " (repair)" : " (dry run)");
                System.out.print(report.table());
                System.out.println("report: " + o.reportFile().toAbsolutePath());
                return report.total() == 0 ? 0 : 1;
            } finally {
                vertx.close();
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            return 2;
        } catch (Exception e) {
            System.err.println("reconciliation failed: " + e);
            return 2;
        }
    }

    static ReconcileOptions parse(String[] args, Settings settings, long nowMs) {
        ProcessorConfig pc = ProcessorConfig.from(settings);
        Map<String, Object> kafka = new HashMap<>(pc.kafka());
        String pg = pc.pgUri();
        String provider = pc.providerBaseUrl();
        // The configured kind's secret: Stripe's secret key, or PayPal's client secret.
        boolean paypal = pc.providerKind().equals("paypal");
        String key = paypal ? pc.providerClientSecret() : pc.providerSecretKey();
        String group = pc.groupId();
        long to = nowMs;
        Long from = null;
        long hours = 24;
        long graceMs = pc.reconcileGraceMs(); // 60 s; 3 h against PayPal itself (its report lags)
        long stuckMs = 300_000;
        boolean repair = false;
        Path report = Path.of("reconciliation-report.json");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--repair" -> repair = true;
                case "--hours" -> hours = Long.parseLong(value(args, ++i, a));
                case "--from" -> from = instant(value(args, ++i, a));
                case "--to" -> to = instant(value(args, ++i, a));
                case "--report" -> report = Path.of(value(args, ++i, a));
                case "--kafka" -> kafka.put("bootstrap.servers", value(args, ++i, a));
                case "--pg" -> pg = pgFlag(value(args, ++i, a));
                case "--provider" -> provider = value(args, ++i, a);
                // A key on the command line shows in the process list: the file, or the processor's
                // settings (BILLING_PROVIDER_SECRETKEY, provider.secretKeyFile), never the flag itself.
                case "--provider-key" ->
                    throw new IllegalArgumentException("--provider-key is refused: a key in the command line shows"
                            + " in the process list; use --provider-key-file FILE or BILLING_PROVIDER_SECRETKEY");
                case "--provider-key-file" -> key = keyFile(value(args, ++i, a));
                case "--group" -> group = value(args, ++i, a);
                case "--grace-ms" -> graceMs = Long.parseLong(value(args, ++i, a));
                case "--stuck-after-ms" -> stuckMs = Long.parseLong(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown flag " + a);
            }
        }
        long fromMs = from != null ? from : to - hours * 3_600_000L;
        return new ReconcileOptions(
                fromMs,
                to,
                graceMs,
                stuckMs,
                repair,
                report,
                pg,
                kafka,
                group,
                paypal
                        ? ProviderAccount.paypal(provider, pc.providerClientId(), key)
                        : ProviderAccount.stripe(provider, key),
                5_000,
                10_000,
                pc.pgPassword());
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    /**
     * {@code --pg URI}: refused, naming the flag and never the value, when the URI holds a password
     * (the process list shows it), as {@code --pg.uri} and {@code -Dpg.uri} are ({@link Settings}).
     */
    static String pgFlag(String uri) {
        if (Settings.holdsUriPassword(uri)) {
            throw new IllegalArgumentException("--pg holds a password (the process list shows it): give the URI"
                    + " without it, and the password in the environment (BILLING_PG_PASSWORD) or a file named by"
                    + " pg.passwordFile");
        }
        return uri;
    }

    /** Owner-only, as every secret file ({@link Settings#readSecretFile}). */
    private static String keyFile(String path) {
        String key = Settings.readSecretFile("--provider-key-file", path);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("--provider-key-file " + path + " is empty");
        }
        return key;
    }

    private static long instant(String s) {
        try {
            return s.chars().allMatch(Character::isDigit)
                    ? Long.parseLong(s)
                    : Instant.parse(s).toEpochMilli();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an instant: " + s);
        }
    }
}
