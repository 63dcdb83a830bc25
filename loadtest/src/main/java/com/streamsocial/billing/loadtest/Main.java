package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.loadtest.harness.ClientWarmup;
import com.streamsocial.billing.loadtest.harness.Durations;
import com.streamsocial.billing.loadtest.harness.Mix;
import com.streamsocial.billing.loadtest.harness.OpenLoop;
import com.streamsocial.billing.loadtest.harness.OutcomeCounter;
import com.streamsocial.billing.loadtest.harness.Report;
import com.streamsocial.billing.loadtest.harness.ReportWriter;
import com.streamsocial.billing.loadtest.harness.Sample;
import com.streamsocial.billing.loadtest.harness.StepDecision;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar loadtest.jar stack|run|max|drain [flags]}. {@code stack} (the default) runs the whole
 * pipeline on embedded defaults; {@code run}, {@code max} and {@code drain} measure a running stack.
 * {@code --help} lists a command's flags; an unknown command or flag prints the usage and exits 2.
 */
@Command(
        name = "java -jar loadtest.jar",
        mixinStandardHelpOptions = true,
        subcommands = {
            Main.Stack.class,
            Main.Run.class,
            Main.Max.class,
            Main.Drain.class,
            com.streamsocial.billing.loadtest.chaos.ChaosCommand.class
        },
        description = "The local billing stack and the load harness.")
public final class Main implements Callable<Integer> {
    public static void main(String[] args) {
        String[] a = args.length == 0 ? new String[] {"stack"} : args;
        System.exit(commandLine().execute(a));
    }

    /** The command line, for tests: {@code execute} returns the exit code (2 for a usage error). */
    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .registerConverter(Duration.class, Durations::parse)
                .setParameterExceptionHandler((e, args) -> {
                    // Always the full usage, also when picocli could only suggest a near miss.
                    CommandLine c = e.getCommandLine();
                    c.getErr().println(e.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr());
                    c.usage(c.getErr());
                    return CommandLine.ExitCode.USAGE;
                });
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.err);
        return CommandLine.ExitCode.USAGE;
    }

    @Command(
            name = "stack",
            mixinStandardHelpOptions = true,
            description = {
                "Start the whole pipeline in this JVM (Kafka 9092, PostgreSQL 5433, gateway 8080, sandbox 8090,"
                        + " processor 8081) until Ctrl-C. Configured by -D properties.",
                "Its data (the broker's log, the database with the payments, the ledger and the sandbox's"
                        + " charges) is kept in the data directory, and the next start resumes from it: pending"
                        + " payments are processed and every earlier payment is still there. One stack at a"
                        + " time per data directory: a second one is refused (exit 3), naming the pid that"
                        + " holds it. A --brokers 3 stack is always fresh."
            })
    static final class Stack implements Callable<Integer> {
        /** Where the stack keeps its data unless told otherwise: in the working directory, git-ignored. */
        static final Path DEFAULT_DATA_DIR = Path.of(".local-stack");

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
        DataChoice data;

        static final class DataChoice {
            @Option(
                    names = "--data-dir",
                    paramLabel = "DIR",
                    description = "Keep the data in DIR, created if missing. Default: the directory named"
                            + " '.local-stack' in the working directory")
            Path dataDir;

            @Option(
                    names = "--fresh",
                    description = "Start empty and delete everything on exit (scratch directories; no data"
                            + " directory is touched)")
            boolean fresh;
        }

        /** The data directory, or null for a fresh stack. */
        Path dataDir() {
            if (data == null) {
                return DEFAULT_DATA_DIR;
            }
            return data.fresh ? null : data.dataDir;
        }

        @Option(
                names = "--brokers",
                description = "1: one Kafka broker in this JVM on 9092 (topics not replicated; the services are"
                        + " told so with topics.allowUnderReplicated). 3: a KRaft cluster of three broker JVMs on"
                        + " free ports, topics with 12 partitions, replication factor 3 and min.insync.replicas 2,"
                        + " checked by the services at start (default ${DEFAULT-VALUE})")
        int brokers = 1;

        @Option(
                names = "--processors",
                description = "Processors in one consumer group, 0..4, health on 8081, 8082, ...; 0 leaves"
                        + " payments.billing unconsumed, to measure the gateway alone (default ${DEFAULT-VALUE})")
        int processors = 1;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if ((brokers != 1 && brokers != 3) || processors < 0 || processors > BillingStack.PROCESSORS_MAX) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "need --brokers 1 or 3 and --processors 0.." + BillingStack.PROCESSORS_MAX);
            }
            if (brokers != 1 && data != null && !data.fresh) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "a " + brokers + "-broker stack is always fresh: drop --data-dir");
            }
            return BillingStack.run(brokers, processors, brokers == 1 ? dataDir() : null);
        }
    }

    /** The local stack's development key, or the one the environment names. */
    static String defaultApiKey() {
        String env = System.getenv("PAYMENTS_DEV_API_KEY");
        return env == null || env.isBlank() ? "sk_test_local" : env.trim();
    }

    /** Flags shared by the HTTP commands. */
    static class HttpFlags {
        @Option(names = "--url", description = "Gateway base URL (default ${DEFAULT-VALUE})")
        URI url = URI.create("http://127.0.0.1:8080");

        @Option(names = "--connections", description = "HTTP connections, at most (default ${DEFAULT-VALUE})")
        int connections = 64;

        @Option(
                names = "--outstanding-max",
                description = "Requests in flight or waiting for a connection, at most; a request due beyond"
                        + " it is not sent and counts as unsent (default ${DEFAULT-VALUE})")
        int outstandingMax = 8_192;

        @Option(names = "--mix", description = "Request mix (default ${DEFAULT-VALUE})")
        String mix = Mix.DEFAULT;

        @Option(
                names = "--kafka",
                description = "Kafka bootstrap servers, to read outcomes on payments.results for the lag"
                        + " (default ${DEFAULT-VALUE})")
        String kafka = "127.0.0.1:9092";

        @Option(
                names = "--kafka-property",
                description = "A setting of the Kafka client that reads outcomes, KEY=VALUE, repeatable: for a"
                        + " TLS listener security.protocol=SSL, ssl.truststore.type=PEM and"
                        + " ssl.truststore.location=CA_FILE (read_committed cannot be changed)")
        Map<String, String> kafkaProperties = new LinkedHashMap<>();

        @Option(names = "--no-lag", description = "Do not read outcomes (lag unknown)")
        boolean noLag;

        @Option(
                names = "--no-client-warmup",
                description = "Start the clock without first warming the harness's own client against a"
                        + " stub in this JVM (4 s; nothing reaches the gateway)")
        boolean noClientWarmup;

        @Option(
                names = "--tenant",
                description = "Tenant of the API key, from which payment ids derive (default ${DEFAULT-VALUE})")
        String tenant = "default";

        @Option(
                names = "--api-key",
                description = "API key sent as Authorization: Bearer (default: the environment's"
                        + " PAYMENTS_DEV_API_KEY, else the local stack's sk_test_local). A key on the command"
                        + " line shows in the process list: prefer the environment for real keys.")
        String apiKey = defaultApiKey();

        @Option(names = "--key-prefix", description = "Idempotency-Key prefix (default: unique per run)")
        String keyPrefix;

        @Option(names = "--seed", description = "Seed of the mix draw (default ${DEFAULT-VALUE})")
        long seed = 1;

        @Option(
                names = "--report",
                paramLabel = "PREFIX",
                description = "Write PREFIX.json, PREFIX.md, PREFIX.html and PREFIX-accepted.txt"
                        + " (default reports/<command>-<time>)")
        String report;
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = "Open-loop load at a fixed rate; latency from each request's intended send time.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        HttpFlags http = new HttpFlags();

        @Option(names = "--rate", description = "Requests per second (default ${DEFAULT-VALUE})")
        double rate = 1_000;

        @Option(names = "--duration", description = "How long to send (default 30s)")
        Duration duration = Duration.ofSeconds(30);

        @Option(
                names = "--warmup",
                description = "First send at the same rate for this long, not counted in the results (default 0s)")
        Duration warmup = Duration.ZERO;

        @Option(
                names = "--await-outcomes",
                description = "After sending, wait up to this long for the lag to reach 0 (default 0s)")
        Duration awaitOutcomes = Duration.ZERO;

        @Override
        public Integer call() throws Exception {
            if (!(rate > 0) || duration.isZero()) {
                throw new CommandLine.ParameterException(new CommandLine(this), "need --rate > 0 and --duration > 0");
            }
            return runHttp(
                    "run",
                    http,
                    (loop, samples, results, table) -> {
                        if (!warmup.isZero()) {
                            System.out.println("warm-up, not counted:");
                            phase(loop, rate, warmup, new ArrayList<>());
                        }
                        OpenLoop.PhaseResult p = phase(loop, rate, duration, samples);
                        results.putAll(phaseResults(p));
                        if (!awaitOutcomes.isZero() && loop.lag() > 0) {
                            awaitLag(loop, awaitOutcomes, samples);
                            results.put("lag after waiting", Long.toString(loop.lag()));
                        }
                        return p.errors() == 0 ? 0 : 1;
                    },
                    Map.of("rate", fmt(rate) + "/s", "duration", duration.toString(), "warm-up", warmup.toString()));
        }
    }

    @Command(
            name = "max",
            mixinStandardHelpOptions = true,
            description = "Step the rate up; report the highest rate with p99 <= 50 ms and errors < 0.1 %"
                    + " (ingest), and with processing keeping up too (end to end).")
    static final class Max implements Callable<Integer> {
        @CommandLine.Mixin
        HttpFlags http = new HttpFlags();

        @Option(names = "--start", description = "First rate, per second (default ${DEFAULT-VALUE})")
        double start = 500;

        @Option(names = "--step", description = "Rate added per step (default ${DEFAULT-VALUE})")
        double step = 500;

        @Option(names = "--step-duration", description = "Length of a step (default 10s)")
        Duration stepDuration = Duration.ofSeconds(10);

        @Option(names = "--max-rate", description = "Highest rate tried (default ${DEFAULT-VALUE})")
        double maxRate = 30_000;

        @Option(
                names = "--lag-growth-max",
                description = "Processing keeps up when the lag grows by at most this many seconds of the"
                        + " step's rate over the step (default ${DEFAULT-VALUE})")
        double lagGrowthSeconds = 1.0;

        @Override
        public Integer call() throws Exception {
            if (!(start > 0) || !(step > 0) || maxRate < start || stepDuration.isZero()) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "need 0 < --start <= --max-rate, --step > 0 and --step-duration > 0");
            }
            return runHttp(
                    "max",
                    http,
                    (loop, samples, results, table) -> {
                        StepDecision.Search search = new StepDecision.Search();
                        for (double rate = start; rate <= maxRate + 1e-9; rate += step) {
                            OpenLoop.PhaseResult p = phase(loop, rate, stepDuration, samples);
                            StepDecision.StepStats stats = new StepDecision.StepStats(
                                    rate,
                                    Math.max(p.seconds(), p.elapsedSeconds()),
                                    p.scheduled(),
                                    p.answered(),
                                    p.errors(),
                                    p.percentileMs(99),
                                    p.lagAtStart(),
                                    p.lagAtEnd());
                            StepDecision.Verdict v = StepDecision.decide(stats, lagGrowthSeconds);
                            table.add(List.of(
                                    fmt(rate),
                                    fmt(p.answeredPerSecond()),
                                    fmt2(p.percentileMs(50)),
                                    fmt2(p.percentileMs(99)),
                                    fmt2(p.percentileMs(99.9)),
                                    String.format("%.3f", 100 * stats.errorRatio()),
                                    p.lagAtStart() < 0 ? "?" : Long.toString(stats.lagGrowth()),
                                    v.ingestOk() ? "yes" : "no",
                                    v.endToEndOk() ? "yes" : "no",
                                    v.why()));
                            System.out.printf(
                                    "step %s/s: ingest %s, end to end %s %s%n",
                                    fmt(rate),
                                    v.ingestOk() ? "ok" : "FAILED",
                                    v.endToEndOk() ? "ok" : "FAILED",
                                    v.why());
                            if (!search.record(rate, v)) {
                                break;
                            }
                        }
                        results.put(
                                "highest ingest rate (p99 <= 50 ms, errors < 0.1 %)", fmt(search.ingestMax()) + "/s");
                        results.put("highest end-to-end rate (also lag not growing)", fmt(search.endToEndMax()) + "/s");
                        System.out.printf(
                                "max: ingest %s/s, end to end %s/s%n",
                                fmt(search.ingestMax()), fmt(search.endToEndMax()));
                        return 0;
                    },
                    Map.of(
                            "start", fmt(start) + "/s",
                            "step", fmt(step) + "/s",
                            "step duration", stepDuration.toString(),
                            "max rate", fmt(maxRate) + "/s",
                            "lag growth allowed", lagGrowthSeconds + " s of the step's rate"));
        }
    }

    private static final List<String> MAX_TABLE = List.of(
            "rate/s",
            "answered/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "errors %",
            "lag growth",
            "ingest ok",
            "end to end ok",
            "why not");

    @FunctionalInterface
    interface Body {
        int run(OpenLoop loop, List<Sample> samples, Map<String, String> results, List<List<String>> table)
                throws Exception;
    }

    /**
     * A run's Idempotency-Key prefix, unique per millisecond. Base 36, not decimal: a 13-digit millisecond
     * count passes the Luhn check about one run in ten, and the gateway then refused every payment of such
     * a run as raw card data, since {@code metadata.run} carries the prefix.
     */
    static String defaultKeyPrefix(String command, long epochMs) {
        return command + "-" + Long.toString(epochMs, 36) + "-";
    }

    private static int runHttp(String command, HttpFlags f, Body body, Map<String, String> extraSettings)
            throws Exception {
        Mix mix;
        try {
            mix = Mix.parse(f.mix);
        } catch (IllegalArgumentException e) {
            System.err.println("--mix: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        String prefix = reportPrefix(command, f.report);
        String keyPrefix = f.keyPrefix != null ? f.keyPrefix : defaultKeyPrefix(command, System.currentTimeMillis());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("url", f.url.toString());
        settings.putAll(new java.util.TreeMap<>(extraSettings));
        settings.put("connections", Integer.toString(f.connections));
        settings.put("outstanding max", Integer.toString(f.outstandingMax));
        settings.put("mix", mix.toString());
        settings.put("key prefix", keyPrefix);
        settings.put("outcomes read from", f.noLag ? "nowhere (lag unknown)" : "payments.results at " + f.kafka);
        settings.put("started", LocalDateTime.now().toString());
        Vertx vertx = Vertx.vertx();
        OpenLoop.Options options = new OpenLoop.Options(
                f.url, f.connections, f.outstandingMax, mix, keyPrefix, f.tenant, f.seed, f.apiKey);
        settings.put("client warm-up", f.noClientWarmup ? "none" : "4 s against a stub in this JVM");
        if (!f.noClientWarmup) {
            ClientWarmup.run(vertx, options);
        }
        Map<String, Object> kafkaClient = new java.util.HashMap<>(f.kafkaProperties);
        kafkaClient.put("bootstrap.servers", f.kafka);
        OutcomeCounter outcomes = f.noLag ? null : OutcomeCounter.start(kafkaClient);
        OpenLoop loop = new OpenLoop(vertx, options, outcomes);
        try {
            try {
                int ready = loop.preflight()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
                System.out.println("gateway " + f.url + "/health/ready answered " + ready);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                System.err.println(
                        "the gateway at " + f.url + " does not answer: " + (e.getCause() == null ? e : e.getCause()));
                return 1;
            }
            List<Sample> samples = new ArrayList<>();
            Map<String, String> results = new LinkedHashMap<>();
            List<List<String>> table = new ArrayList<>();
            int code = body.run(loop, samples, results, table);
            results.put("accepted payments", Long.toString(loop.accepted()));
            results.put("lag at end (accepted minus outcomes)", loop.lag() < 0 ? "unknown" : Long.toString(loop.lag()));
            if (loop.trackingRefused() > 0) {
                results.put("payments not tracked for lag (limit reached)", Long.toString(loop.trackingRefused()));
            }
            Report report = new Report(
                    command,
                    "loadtest " + command + " against " + f.url,
                    settings,
                    results,
                    command.equals("max") ? MAX_TABLE : List.of(),
                    table,
                    samples);
            write(report, prefix, loop.acceptedIds());
            return code;
        } finally {
            loop.close();
            if (outcomes != null) {
                outcomes.close();
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static OpenLoop.PhaseResult phase(OpenLoop loop, double rate, Duration d, List<Sample> samples)
            throws Exception {
        return loop.runPhase(rate, d.toMillis() / 1000.0, System.out::println, samples)
                .toCompletionStage()
                .toCompletableFuture()
                .get(d.toMillis() + OpenLoop.REQUEST_TIMEOUT_MS + 60_000, TimeUnit.MILLISECONDS);
    }

    private static Map<String, String> phaseResults(OpenLoop.PhaseResult p) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("scheduled", Long.toString(p.scheduled()));
        r.put("sent", Long.toString(p.sent()));
        r.put("unsent (outstanding maximum reached)", Long.toString(p.unsent()));
        r.put("answered", Long.toString(p.answered()));
        r.put("answered/s", fmt(p.answeredPerSecond()));
        r.put("sending to last answer", String.format("%.1f s", p.elapsedSeconds()));
        r.put("expected answers", Long.toString(p.expected()));
        r.put("unexpected answers", Long.toString(p.unexpected()));
        r.put("transport errors", Long.toString(p.transportErrors()));
        r.put(
                "latency ms p50 / p90 / p99 / p99.9 / max",
                String.join(
                        " / ",
                        fmt2(p.percentileMs(50)),
                        fmt2(p.percentileMs(90)),
                        fmt2(p.percentileMs(99)),
                        fmt2(p.percentileMs(99.9)),
                        fmt2(p.percentileMs(100))));
        r.put("statuses", p.statuses().toString());
        StringBuilder kinds = new StringBuilder();
        p.byKind()
                .forEach((k, c) -> kinds.append(kinds.isEmpty() ? "" : ", ")
                        .append(k)
                        .append(' ')
                        .append(c[0])
                        .append(" expected / ")
                        .append(c[1])
                        .append(" not"));
        r.put("by kind", kinds.toString());
        if (!p.unexpectedExamples().isEmpty()) {
            r.put("unexpected examples", String.join("; ", p.unexpectedExamples()));
        }
        return r;
    }

    private static void awaitLag(OpenLoop loop, Duration limit, List<Sample> samples) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (loop.lag() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            System.out.println("waiting for outcomes: lag " + loop.lag());
        }
    }

    @Command(
            name = "drain",
            mixinStandardHelpOptions = true,
            description = "Pre-fill payments.billing with N valid events in one transaction, then time the"
                    + " processor draining them (outcomes read on payments.results, read_committed).")
    static final class Drain implements Callable<Integer> {
        @Option(names = "--events", description = "Billing events to pre-fill (default ${DEFAULT-VALUE})")
        int events = 100_000;

        @Option(names = "--kafka", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE})")
        String kafka = "127.0.0.1:9092";

        @Option(
                names = "--provider",
                description = "Which provider the running processor uses, for the report only, e.g."
                        + " approve-all, sandbox, sandbox-100-300ms (default ${DEFAULT-VALUE})")
        String provider = "sandbox";

        @Option(names = "--tenant", description = "Tenant of the events (default ${DEFAULT-VALUE})")
        String tenant = "default";

        @Option(names = "--timeout", description = "Give up waiting for outcomes after this long (default 10m)")
        Duration timeout = Duration.ofMinutes(10);

        @Option(names = "--report", paramLabel = "PREFIX", description = "Report prefix (default reports/drain-<time>)")
        String report;

        @Option(
                names = "--baseline",
                description = "Instead of timing the processor, time a minimal read-process-write loop (decode,"
                        + " write two records, offsets in the transaction; no PostgreSQL, no provider) on its own"
                        + " topics of the same broker: the yardstick for the processor's drain")
        boolean baseline;

        @Option(
                names = "--baseline-loops",
                description = "Loops of the baseline (default ${DEFAULT-VALUE}, as processor.loops)")
        int baselineLoops = 3;

        @Option(
                names = "--baseline-batch",
                description =
                        "Records per baseline transaction at most (default ${DEFAULT-VALUE}, as processor.maxPollRecords)")
        int baselineBatch = 2_000;

        @Override
        public Integer call() throws Exception {
            if (baseline) {
                com.streamsocial.billing.loadtest.harness.RpwBaseline.Result b =
                        com.streamsocial.billing.loadtest.harness.RpwBaseline.run(
                                new com.streamsocial.billing.loadtest.harness.RpwBaseline.Options(
                                        kafka, events, baselineLoops, baselineBatch, timeout.toMillis()),
                                System.out::println);
                System.out.printf(
                        "drain (minimal read-process-write baseline, %d loops, batch %d): %d of %d records in %d ms"
                                + " (%d transactions) = %s records/s%n",
                        baselineLoops,
                        baselineBatch,
                        b.processed(),
                        b.events(),
                        b.drainedMs(),
                        b.transactions(),
                        fmt(b.recordsPerSecond()));
                return b.processed() >= b.events() ? 0 : 1;
            }
            String prefix = reportPrefix("drain", report);
            String keyPrefix = "drain-" + System.currentTimeMillis() + "-";
            com.streamsocial.billing.loadtest.harness.Drain.Result r =
                    com.streamsocial.billing.loadtest.harness.Drain.run(
                            new com.streamsocial.billing.loadtest.harness.Drain.Options(
                                    kafka, events, tenant, keyPrefix, timeout.toMillis()),
                            System.out::println);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("events", Integer.toString(events));
            settings.put("provider", provider);
            settings.put("kafka", kafka);
            settings.put("key prefix", keyPrefix);
            settings.put("started", LocalDateTime.now().toString());
            Map<String, String> results = new LinkedHashMap<>();
            results.put("pre-fill (one transaction)", r.prefillMs() + " ms");
            results.put("outcomes", r.drained() + " of " + r.events());
            results.put("first outcome after commit", r.firstOutcomeMs() + " ms");
            results.put("drained in", r.drainedMs() + " ms");
            results.put("drain rate", fmt(r.recordsPerSecond()) + " records/s");
            System.out.printf(
                    "drain (%s): %d of %d outcomes in %d ms = %s records/s%n",
                    provider, r.drained(), r.events(), r.drainedMs(), fmt(r.recordsPerSecond()));
            write(
                    new Report(
                            "drain",
                            "loadtest drain, provider " + provider,
                            settings,
                            results,
                            List.of(),
                            List.of(),
                            r.samples()),
                    prefix,
                    List.of());
            return r.complete() ? 0 : 1;
        }
    }

    private static String reportPrefix(String command, String given) {
        return given != null
                ? given
                : "reports/" + command + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    private static void write(Report report, String prefix, List<String> acceptedIds) throws Exception {
        List<Path> files = new ArrayList<>(ReportWriter.write(report, prefix));
        if (!report.command().equals("drain")) {
            Path accepted = Path.of(prefix + "-accepted.txt");
            Files.write(accepted, acceptedIds);
            files.add(accepted);
        }
        report.results().forEach((k, v) -> System.out.println(k + ": " + v));
        System.out.println("report: " + files);
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format("%.0f", v) : "-";
    }

    private static String fmt2(double v) {
        return Double.isFinite(v) ? String.format("%.2f", v) : "-";
    }
}
