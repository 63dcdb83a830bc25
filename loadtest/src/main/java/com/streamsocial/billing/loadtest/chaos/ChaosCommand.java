package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.TopicSafety;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Position;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Read;
import com.streamsocial.billing.loadtest.chaos.FaultSchedule.Fault;
import com.streamsocial.billing.loadtest.chaos.FaultSchedule.Target;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.processor.reconcile.Reconciler;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TempDirs;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loadtest.jar chaos}: the whole pipeline with the broker, the gateways and the processors each
 * in its own JVM, under open-loop load, killed with SIGKILL on a seeded schedule and restarted, while
 * a read_committed reader checks what it is handed; then a verification pass over Kafka, PostgreSQL,
 * the sandbox and {@code reconcile}. Exit 0 when nothing is violated, 1 otherwise.
 */
@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        description = {
            "Prove exactly-once under fire. Starts an embedded PostgreSQL and the sandbox provider in this JVM,"
                    + " and the Kafka broker (KRaft, log dir kept across restarts), the gateways and the processors as"
                    + " separate JVMs. Sends new payments at --rate (open loop, round-robin over the gateways) and"
                    + " SIGKILLs --kills processes from --targets on a schedule drawn from --seed, waiting --interval-ms"
                    + " before each kill; each killed process is restarted at once and its recovery time printed"
                    + " (gateway: first 202 it answers; processor: its first committed batch; broker: the first"
                    + " outcome committed after it is back). A postgres fault stalls PostgreSQL (SIGSTOP of every"
                    + " process for 2-15 s, then SIGCONT) or SIGKILLs the backend of a gateway's or processor's"
                    + " lease session; recovered at a 202 from every gateway and an outcome after that.",
            "While the faults happen, a read_committed consumer checks: no aborted read (every record it is handed"
                    + " is still there once all transactions are decided), offsets only move forward (its own, and"
                    + " the processors' committed offsets). Afterwards: no duplicate outcome; billing and metrics"
                    + " events of a payment both visible or neither; every 202 recorded once in PostgreSQL, charged"
                    + " once at the sandbox, with one outcome; an unanswered payment (unknown) all there once or not"
                    + " at all; nothing that was refused or never sent; reconcile finds 0 breaks. Refunds of one payment"
                    + " in ten (partial, repeated, over the remainder, duplicated at once): each once, never over the capture.",
            "Prints every fault, the counts and every violation with its ids. Exit status: 0 no violation, 1 a"
                    + " violation, 2 usage error."
        })
public final class ChaosCommand implements Callable<Integer> {
    /** The services' exit status when their instance lease is lost (ProcessorMain.EXIT_LEASE_LOST). */
    static final int EXIT_LEASE_LOST = LeaseLossExcuses.EXIT_LEASE_LOST;

    /** The processors' consumer group, as they are configured here. */
    static final String GROUP_ID = "billing-processor";

    static final String SANDBOX_SECRET = "sk_test_chaos";
    /** How long the first zombie's batch 3 waits before its Kafka commit (it is paused meanwhile). */
    static final long ZOMBIE_STALL_MS = 5_000;

    /** {@code processor.loops} of every processor: the production default. */
    static final int PROCESSOR_LOOPS = ProcessorConfig.LOOPS_DEFAULT;
    /** A settle wait this long prints, once, what holds read_committed readers back. */
    static final long SETTLE_DESCRIBE_AFTER_MS = 15_000;

    /** How often readiness and recovery are polled. */
    private static final long POLL_MS = 100;
    /** Violations printed in full, at most; the rest are counted. */
    static final int VIOLATIONS_PRINTED_MAX = 200;

    @Option(names = "--seed", description = "Seed of the fault schedule (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--kills", description = "Processes to kill, in all (default ${DEFAULT-VALUE})")
    int kills = 6;

    @Option(
            names = "--targets",
            description = "What may be killed, comma-separated: gateway, processor, broker, postgres (a stall of"
                    + " 2-15 s, or one time in 3 the SIGKILL of a backend: PostgreSQL then restarts and every"
                    + " lease session ends) (default ${DEFAULT-VALUE})")
    String targets = "gateway,processor,broker";

    @Option(
            names = "--interval-ms",
            paramLabel = "MIN,MAX",
            description = "Wait before each kill, drawn from MIN..MAX ms, counted from the previous recovery"
                    + " (default ${DEFAULT-VALUE})")
    String interval = "3000,8000";

    @Option(names = "--rate", description = "New payments per second (default ${DEFAULT-VALUE})")
    double rate = 100;

    @Option(names = "--gateways", description = "Gateway processes, 1..4 (default ${DEFAULT-VALUE})")
    int gateways = 1;

    @Option(names = "--processors", description = "Processor processes, 1..4 (default ${DEFAULT-VALUE})")
    int processors = 1;

    @Option(
            names = "--brokers",
            description = "Kafka brokers, 1 or 3: with 3, a KRaft cluster of three combined broker-controller JVMs"
                    + " (3 voters), topics with replication factor 3, min.insync.replicas 2 and "
                    + BrokerCluster.TOPIC_PARTITIONS + " partitions, and the services check their topics at start"
                    + " (no topics.allowUnderReplicated); a broker fault kills one of them (default ${DEFAULT-VALUE})")
    int brokers = 1;

    @Option(
            names = "--processor-join-leave",
            description = "After the kills: one more processor joins the group under load (until its first committed"
                    + " batch), then processor-1 leaves it (SIGTERM: it drains and exits) until the others hold every"
                    + " partition and commit again")
    boolean processorJoinLeave;

    @Option(
            names = "--api-key",
            description =
                    "Sent as 'Authorization: Bearer <key>' (default: env PAYMENTS_DEV_API_KEY, else sk_test_local)")
    String apiKey = System.getenv().getOrDefault("PAYMENTS_DEV_API_KEY", "sk_test_local");

    @Option(
            names = "--recovery-timeout-ms",
            description = "A killed process not recovered within this is a violation (default ${DEFAULT-VALUE})")
    long recoveryTimeoutMs = 120_000;

    @Option(
            names = "--settle-timeout-ms",
            description =
                    "After the load, longest wait for every accepted payment's outcome (default ${DEFAULT-VALUE})")
    long settleTimeoutMs = 180_000;

    @Option(
            names = "--retry-deadline-ms",
            description = "The load retries every answer that is not definite (5xx, 409, 429, a timeout, a broken"
                    + " or refused connection) with the same Idempotency-Key, with backoff, until this long after"
                    + " the payment was due (default ${DEFAULT-VALUE})")
    long retryDeadlineMs = 120_000;

    @Option(
            names = "--quiescence-timeout-ms",
            description = "After the settle wait, longest wait for every partition's last stable offset to reach its"
                    + " high watermark (a hanging transaction is aborted by the processors' watchdog after two"
                    + " transaction timeouts); not reached is a violation (default ${DEFAULT-VALUE})")
    long quiescenceTimeoutMs = 180_000;

    @Option(
            names = "--zombies",
            description = "After the kills, this many times: SIGSTOP a processor until the group has moved its"
                    + " partitions to the others (session timeout), then SIGCONT it; its next commit must be fenced."
                    + " Needs --processors 2 or more (default ${DEFAULT-VALUE})")
    int zombies = 0;

    @Option(
            names = "--keep",
            description =
                    "Keep the work directory (service logs, broker log dir); a run with a violation always keeps it")
    boolean keep;

    @Option(
            names = "--tuned",
            description = "Run the processors with the tuned settings of earlier chaos runs instead of the"
                    + " production defaults: processor.processTimeoutMs 12000, transactionTimeoutMs 24000,"
                    + " hangingCheckMs 5000, maxPollRecords 200, provider.inFlightMax 16, provider.callTimeoutMs 5000")
    boolean tuned;

    /**
     * What {@code --tuned} sets on every processor. A shorter transaction timeout (the smallest the
     * process timeout allows) and a frequent check abort a transaction a broker kill left hanging
     * well within the settle time (HangingTransactionWatchdog: after two transaction timeouts), and the
     * coordinator aborts a paused zombie's transaction sooner. Smaller batches: a restarted processor
     * commits its first batch sooner. Few provider calls at once, each given longer: the sandbox shares
     * the command's JVM. Without the flag the processors run the defaults, which are what is proven.
     */
    static final Map<String, String> TUNED_PROCESSOR_SETTINGS = Map.of(
            "processor.processTimeoutMs", "12000",
            "processor.transactionTimeoutMs", "24000",
            "processor.hangingCheckMs", "5000",
            "processor.maxPollRecords", "200",
            "provider.inFlightMax", "16",
            "provider.callTimeoutMs", "5000");

    @Option(
            names = "--guarantee",
            description = "processor.guarantee of the processors: exactly-once, at-least-once or at-most-once"
                    + " (the last two for demonstration only; default ${DEFAULT-VALUE})")
    String guarantee = GUARANTEES.get(0);

    @Option(
            names = "--compare-guarantees",
            description = "Run the same seeded faults and load against each processor.guarantee in turn (a fresh"
                    + " stack each) and print one table: accepted, lost (no outcome and no charge), duplicate"
                    + " outcomes, duplicate charges (sandbox), throughput (outcomes/s) and p99 of the accepted answers."
                    + " The naive modes' violations are counted, not failures: exit 1 only if exactly-once has any.")
    boolean compareGuarantees;

    /** The values of processor.guarantee, exactly-once first. */
    static final List<String> GUARANTEES = List.of("exactly-once", "at-least-once", "at-most-once");

    /**
     * A naive mode's settle wait ends when the accepted payments without an outcome stop changing for
     * this long: at-most-once never delivers the ones it lost.
     */
    static final long NAIVE_SETTLE_QUIET_MS = 20_000;

    /** One row of the comparison: what one mode's run did to the accepted payments. */
    record ModeRow(
            String mode,
            long accepted,
            long lost,
            long duplicateOutcomes,
            long duplicateCharges,
            double outcomesPerSecond,
            double p99Ms,
            int violations) {}

    private ModeRow row;
    /** The refund mix; null in the naive modes, which keep no ledger to refund from. */
    private RefundLoad refunds;

    /** The topics that must come to rest before the verification: the payments' and the refunds'. */
    static final List<String> QUIESCENT_TOPICS =
            List.of(Topics.BILLING, Topics.METRICS, Topics.RESULTS, Topics.REFUNDS, Topics.REFUND_RESULTS);

    private final List<Violation> violations = new ArrayList<>();
    private final List<String> faultLines = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<Target, List<ServiceProcess>> services = new EnumMap<>(Target.class);
    private final List<Integer> gatewayPorts = new ArrayList<>();
    /** Each gateway's management listener: its liveness with the cause, for the supervisor's probe. */
    private final List<Integer> gatewayManagementPorts = new ArrayList<>();

    private final List<Integer> processorPorts = new ArrayList<>();
    private volatile boolean stopping;
    /** Every end of a service process: the schedule's kills and the supervisor's restarts. */
    private final List<ChaosChecks.Exit> exits = new ArrayList<>();
    /** From each kill to its recovery (or the recovery timeout), in seconds from the start of the load. */
    private final List<ChaosChecks.Window> killWindows = new ArrayList<>();
    /** Seconds from the start of the load to the end of the concurrent checks. */
    private double checkedSeconds;

    /** The postgres target's faults; set once PostgreSQL runs. */
    private volatile PostgresFaults postgres;
    /**
     * Services (by pid) whose lease session a backend kill ended: their exit with {@link
     * #EXIT_LEASE_LOST} is part of that fault, not a crash.
     */
    private final LeaseLossExcuses leaseLossExcuses = new LeaseLossExcuses();

    private long lastLivenessProbeNanos;
    /** How often the liveness probes run. */
    private static final long LIVENESS_PROBE_NANOS = 1_000_000_000L;

    private long runStartNanos;
    private long runStartEpochMs;

    @Override
    public Integer call() throws Exception {
        FaultSchedule schedule;
        try {
            if (zombies < 0 || (zombies > 0 && processors < 2)) {
                throw new IllegalArgumentException("--zombies needs --processors 2 or more");
            }
            if (!(rate > 0) || gateways < 1 || gateways > 4 || processors < 1 || processors > 4) {
                throw new IllegalArgumentException("need --rate > 0, --gateways 1..4 and --processors 1..4");
            }
            if (brokers != 1 && brokers != 3) {
                throw new IllegalArgumentException("--brokers must be 1 or 3");
            }
            if (processorJoinLeave && (processors > 3 || zombies > 0)) {
                throw new IllegalArgumentException("--processor-join-leave needs --processors 1..3 and no --zombies");
            }
            long[] iv = FaultSchedule.parseInterval(interval);
            schedule = FaultSchedule.generate(
                    seed,
                    kills,
                    FaultSchedule.parseTargets(targets),
                    Map.of(
                            Target.GATEWAY,
                            gateways,
                            Target.PROCESSOR,
                            processors,
                            Target.BROKER,
                            brokers,
                            // A backend of any gateway or processor.
                            Target.POSTGRES,
                            gateways + processors),
                    iv[0],
                    iv[1]);
            if (!GUARANTEES.contains(guarantee)) {
                throw new IllegalArgumentException("--guarantee must be one of " + GUARANTEES);
            }
            if (compareGuarantees && zombies > 0) {
                throw new IllegalArgumentException("--compare-guarantees runs no zombies");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        if (compareGuarantees) {
            return compare(schedule);
        }
        return runOnce(schedule);
    }

    /**
     * Runs the same schedule and load against each guarantee, each on a fresh stack, and prints the
     * table. Exit 1 only if exactly-once has a violation: the naive modes' are what the table shows.
     */
    private int compare(FaultSchedule schedule) throws Exception {
        List<ModeRow> rows = new ArrayList<>();
        for (String mode : GUARANTEES) {
            System.out.printf("%n==== guarantee %s ====%n", mode);
            ChaosCommand run = new ChaosCommand();
            run.seed = seed;
            run.kills = kills;
            run.targets = targets;
            run.interval = interval;
            run.rate = rate;
            run.gateways = gateways;
            run.processors = processors;
            run.brokers = brokers;
            run.apiKey = apiKey;
            run.recoveryTimeoutMs = recoveryTimeoutMs;
            run.settleTimeoutMs = settleTimeoutMs;
            run.keep = keep;
            run.guarantee = mode;
            run.tuned = tuned;
            run.retryDeadlineMs = retryDeadlineMs;
            run.quiescenceTimeoutMs = quiescenceTimeoutMs;
            run.runOnce(schedule);
            rows.add(run.row);
        }
        System.out.println();
        System.out.printf(
                "== guarantees compared: seed %d, %d kills of %s, interval %s ms, rate %.0f/s ==%n",
                seed, kills, targets, interval, rate);
        System.out.println(table(rows));
        ModeRow eo = rows.get(0);
        ModeRow alo = rows.get(1);
        if (alo.outcomesPerSecond() > 0) {
            System.out.printf(
                    "exactly-once / at-least-once throughput: %.2f%n",
                    eo.outcomesPerSecond() / alo.outcomesPerSecond());
        }
        return eo.violations() == 0 ? 0 : 1;
    }

    /** The comparison as a Markdown table. */
    static String table(List<ModeRow> rows) {
        StringBuilder t = new StringBuilder(
                "| mode | accepted | lost | duplicate outcomes | duplicate charges | throughput (outcomes/s) | p99 (ms) | violations |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ModeRow r : rows) {
            t.append(String.format(
                    "| %s | %d | %d | %d | %d | %.1f | %.1f | %d |%n",
                    r.mode(),
                    r.accepted(),
                    r.lost(),
                    r.duplicateOutcomes(),
                    r.duplicateCharges(),
                    r.outcomesPerSecond(),
                    r.p99Ms(),
                    r.violations()));
        }
        return t.toString();
    }

    private int runOnce(FaultSchedule schedule) throws Exception {
        quietKafkaClients();
        // Ctrl-C (or SIGTERM) must not leave the service JVMs behind: they are not this JVM's threads.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            stopping = true;
                            resumePostgres();
                            stopServices();
                        },
                        "chaos-stop-services"));
        Path work = TempDirs.create("billing-chaos-");
        printBanner(work);
        Vertx vertx = Vertx.vertx();
        EmbeddedPg pg = null;
        ChaosLoad load = null;
        ConcurrentReader reader = null;
        Pool pool = null;
        try {
            pg = EmbeddedPg.start(0);
            postgres = new PostgresFaults(vertx, pg);
            int sandboxPort = FreePorts.pick();
            String pgUri = pg.uri();
            // The load's tenant and key, as the local stack makes its development key.
            TenantKeys.ensure(pgUri, TenantKeys.DEV_TENANT, apiKey);
            vertx.deployVerticle(
                            new SandboxProvider("127.0.0.1", sandboxPort, pgUri, SANDBOX_SECRET, SandboxFaults.NONE))
                    .await(60, TimeUnit.SECONDS);
            String bootstrap = startServices(work, pgUri, sandboxPort);
            reader = new ConcurrentReader(bootstrap, GROUP_ID);
            reader.start();
            load = new ChaosLoad(
                            vertx, gatewayPorts, rate, "chaos-" + System.currentTimeMillis() + "-", "default", apiKey)
                    .retrying(retryDeadlineMs);
            runStartNanos = System.nanoTime();
            runStartEpochMs = System.currentTimeMillis();
            refunds = naive()
                    ? null
                    : RefundLoad.feeding(
                            load, vertx, gatewayPorts, runStartEpochMs, apiKey, retryDeadlineMs, runStartNanos);
            load.start();
            System.out.printf("load started at %.0f/s%n", rate);
            injectFaults(schedule, load, reader, work, pgUri, sandboxPort, bootstrap);
            waitWatching(FaultSchedule.parseInterval(interval)[0]);
            load.stop();
            double seconds = (System.nanoTime() - runStartNanos) / 1e9;
            System.out.printf("load stopped after %.1f s; waiting for the answers%n", seconds);
            awaitAnswers(load);
            pool = pool(vertx, pgUri);
            settle(load, reader, bootstrap, pool);
            reader.close();
            checkedSeconds = elapsedS();
            verify(load, reader, bootstrap, pool);
            if (refunds != null) {
                violations.addAll(
                        RefundVerification.verify(refunds, pool, bootstrap, chargesFromEpochS(), killWindows, summary));
            }
            violations.addAll(ChaosChecks.unplannedExits(exits));
            if (naive()) {
                // Reconciliation reads the ledger (payments), which the naive modes do not write.
                summary.put("reconcile breaks", "not run (" + guarantee + " keeps no payments rows)");
            } else {
                reconcile(vertx, pgUri, bootstrap, sandboxPort);
            }
            row = new ModeRow(
                    guarantee,
                    row.accepted(),
                    row.lost(),
                    row.duplicateOutcomes(),
                    row.duplicateCharges(),
                    row.outcomesPerSecond(),
                    row.p99Ms(),
                    violations.size());
            return report(load, reader);
        } finally {
            cleanUp(load, reader, pool, vertx, pg, work);
        }
    }

    private void printBanner(Path work) {
        System.out.printf(
                "chaos: seed %d, %d kills of %s, interval %s ms, rate %.0f/s, %d broker(s), %d gateway(s),"
                        + " %d processor(s) (%s, %s); logs in %s%n",
                seed,
                kills,
                targets,
                interval,
                rate,
                brokers,
                gateways,
                processors,
                guarantee,
                tuned ? "tuned settings " + new java.util.TreeMap<>(TUNED_PROCESSOR_SETTINGS) : "production defaults",
                work);
    }

    private static Pool pool(Vertx vertx, String pgUri) {
        return PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(2))
                .connectingTo(PgConnectOptions.fromUri(pgUri))
                .using(vertx)
                .build();
    }

    /** The schedule's kills, then the zombies, then the join and leave, each after its wait. */
    private void injectFaults(
            FaultSchedule schedule,
            ChaosLoad load,
            ConcurrentReader reader,
            Path work,
            String pgUri,
            int sandboxPort,
            String bootstrap)
            throws Exception {
        for (Fault f : schedule.faults()) {
            waitWatching(f.waitMs());
            inject(f, load, reader);
        }
        for (int z = 0; z < zombies; z++) {
            waitWatching(FaultSchedule.parseInterval(interval)[0]);
            zombie(z, bootstrap);
        }
        if (processorJoinLeave) {
            waitWatching(FaultSchedule.parseInterval(interval)[0]);
            joinAndLeave(work, pgUri, sandboxPort, bootstrap, reader);
        }
    }

    /**
     * Waits for the last retries' answers, the services supervised meanwhile; every request still
     * outstanding at the end of the wait is a violation.
     */
    private void awaitAnswers(ChaosLoad load) throws Exception {
        long answersDeadline = System.currentTimeMillis() + load.answersWaitMs();
        while ((load.outstanding() > 0 || (refunds != null && refunds.outstanding() > 0))
                && System.currentTimeMillis() < answersDeadline) {
            waitWatching(POLL_MS);
        }
        List<String> open = new ArrayList<>(load.awaitAnswers());
        open.addAll(refunds == null ? List.of() : refunds.giveUp());
        System.out.printf("answers awaited: %d requests still without a definite answer%n", open.size());
        violations.addAll(ChaosChecks.outstanding(open));
    }

    /** Stops everything the run started; keeps the work directory of a failed (or --keep) run. */
    private void cleanUp(ChaosLoad load, ConcurrentReader reader, Pool pool, Vertx vertx, EmbeddedPg pg, Path work)
            throws Exception {
        if (load != null) {
            load.close();
        }
        if (refunds != null) {
            refunds.close();
        }
        if (reader != null) {
            reader.close();
        }
        stopServices();
        if (pool != null) {
            pool.close();
        }
        // Never a stopped PostgreSQL left behind (a run that failed during a stall), nor one that cannot stop.
        resumePostgres();
        vertx.close().await(10, TimeUnit.SECONDS);
        if (pg != null) {
            pg.close();
        }
        if (keep || !violations.isEmpty()) {
            // A failed run keeps its service logs and broker log dir for the post-mortem.
            System.out.println("kept " + work);
        } else {
            TempDirs.delete(work);
        }
    }

    private String startServices(Path work, String pgUri, int sandboxPort) throws Exception {
        // Each broker its own JVM (log dir kept across kills); with --brokers 3, a 3-voter KRaft cluster.
        BrokerCluster cluster = BrokerCluster.start(work, brokers, brokers == 1 ? 768 : 512);
        String bootstrap = cluster.bootstrap();
        services.put(Target.BROKER, cluster.nodes());
        // As docs/ARCHITECTURE.md asks of a deployment: at least one partition per consumer (instances x loops),
        // so that a restarted processor is given partitions and its recovery can be seen.
        cluster.createTopics(Topics.ALL, partitions());
        List<ServiceProcess> gs = new ArrayList<>();
        for (int i = 1; i <= gateways; i++) {
            int port = FreePorts.pick();
            gatewayPorts.add(port);
            int managementPort = FreePorts.pick();
            gatewayManagementPorts.add(managementPort);
            Map<String, String> p = new HashMap<>();
            p.put("http.host", "127.0.0.1");
            p.put("http.port", Integer.toString(port));
            p.put("management.port", Integer.toString(managementPort));
            p.put("gateway.instanceId", "gateway-" + i);
            p.put("gateway.producers", "1");
            // The load pays with fresh customer ids, which only trust on first use registers: a
            // development-only mode, off without dev.mode (issue 19 §1).
            p.put("dev.mode", "true");
            p.put("pg.uri", pgUri);
            p.put("kafka.bootstrap.servers", bootstrap);
            allowSingleBroker(p);
            ServiceProcess g =
                    new ServiceProcess("gateway-" + i, "com.streamsocial.billing.gateway.GatewayMain", 384, p, work);
            gs.add(g);
            g.start();
            // One at a time: the first applies the schema migrations.
            require(g, awaitHttp(g, port, "/health/ready", 120_000), "gateway did not become ready");
        }
        services.put(Target.GATEWAY, gs);
        List<ServiceProcess> ps = new ArrayList<>();
        for (int i = 1; i <= processors; i++) {
            ServiceProcess s = processor(i, work, pgUri, sandboxPort, bootstrap);
            ps.add(s);
            s.start();
            require(s, s.awaitLine("processor processor-" + i + " ready", 120_000), "processor did not start");
        }
        services.put(Target.PROCESSOR, ps);
        if (brokers > 1) {
            // No override on the cluster: each service must have checked its topics and found them safe.
            for (ServiceProcess s : concat(gs, ps)) {
                require(s, s.currentOutput().contains(TOPICS_CHECKED), "no passed topic check in its log");
            }
            System.out.printf(
                    "topics checked at start by every gateway and processor: replication factor >= %d,"
                            + " min.insync.replicas >= %d%n",
                    TopicSafety.REPLICATION_FACTOR_MIN, TopicSafety.MIN_INSYNC_REPLICAS_MIN);
        }
        System.out.printf(
                "up: broker %s, gateways on %s, processors (health) on %s, sandbox on %d, postgresql %s%n",
                bootstrap, gatewayPorts, processorPorts, sandboxPort, pgUri);
        return bootstrap;
    }

    /** Processor {@code i} (from 1) with its own health port (added to the ports), not started yet. */
    private ServiceProcess processor(int i, Path work, String pgUri, int sandboxPort, String bootstrap) {
        int port = FreePorts.pick();
        processorPorts.add(port);
        Map<String, String> p = new HashMap<>();
        p.put("processor.instanceId", "processor-" + i);
        p.put("processor.groupId", GROUP_ID);
        p.put("processor.httpHost", "127.0.0.1");
        p.put("processor.httpPort", Integer.toString(port));
        p.put("provider.kind", "stripe");
        p.put("provider.baseUrl", "http://127.0.0.1:" + sandboxPort);
        p.put("provider.secretKey", SANDBOX_SECRET);
        p.put("reconcile.intervalMs", "0");
        p.put("processor.guarantee", guarantee);
        // The naive guarantees and the sandbox are development-only modes (DevModes): chaos runs them on purpose.
        p.put("dev.mode", "true");
        p.put("processor.loops", Integer.toString(PROCESSOR_LOOPS));
        if (tuned) {
            p.putAll(TUNED_PROCESSOR_SETTINGS);
        }
        if (zombies > 0 && i == 1) {
            // The processors' fault hook: batch 3 waits ZOMBIE_STALL_MS after its PostgreSQL commit,
            // before its Kafka commit. The first zombie is paused there, so that it holds an open
            // transaction and a stale batch when it resumes.
            p.put("processor.faults.stallOnBatch", "3");
            p.put("processor.faults.stallMs", Long.toString(ZOMBIE_STALL_MS));
            // With --tuned, the shorter transaction timeout also has the coordinator abort the paused
            // zombie's open transaction sooner while it is stopped.
            // One loop: the stalled batch is then the transaction of processor-<id>, the one this
            // command watches; with several, the stall would be on whichever loop reached batch 3.
            p.put("processor.loops", "1");
        }
        p.put("pg.uri", pgUri);
        p.put("kafka.bootstrap.servers", bootstrap);
        allowSingleBroker(p);
        return new ServiceProcess("processor-" + i, "com.streamsocial.billing.processor.ProcessorMain", 384, p, work);
    }

    /**
     * On one broker nothing can be replicated, so the services are told to start anyway; on the
     * cluster they check their topics (replication factor 3, min.insync.replicas 2) as in production.
     */
    private void allowSingleBroker(Map<String, String> settings) {
        if (brokers == 1) {
            settings.put(TopicSafety.OVERRIDE_SETTING, "true");
        }
    }

    /** What a service logs once its topics passed the start-up check (TopicSafetyCheck). */
    static final String TOPICS_CHECKED = "replicated: replication factor >= 3";

    private static List<ServiceProcess> concat(List<ServiceProcess> a, List<ServiceProcess> b) {
        List<ServiceProcess> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * Partitions per topic: the local stack's count (the cluster's on 3 brokers), or one per processor
     * loop if that is more, counting the processor that joins.
     */
    private int partitions() {
        int base = brokers == 1 ? LocalInfra.TOPIC_PARTITIONS : BrokerCluster.TOPIC_PARTITIONS;
        return Math.max(base, (processors + (processorJoinLeave ? 1 : 0)) * PROCESSOR_LOOPS);
    }

    private static void require(ServiceProcess s, boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what + "; last lines of " + s.log() + ":\n" + s.tail(30));
        }
    }

    /** Sleeps {@code ms} while {@link #supervise supervising} the services. */
    private void waitWatching(long ms) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        do {
            supervise();
            Thread.sleep(Math.max(0, Math.min(POLL_MS, deadline - System.currentTimeMillis())));
        } while (System.currentTimeMillis() < deadline);
    }

    /**
     * What an orchestrator does: a service that exited by itself is started again, and a gateway or
     * processor whose {@code /health/live} answers 503 (its loop died for a reason a restart can fix)
     * is killed and started again. Both are counted and printed; neither is a violation by itself.
     */
    private void supervise() throws Exception {
        if (stopping) {
            return;
        }
        for (Map.Entry<Target, List<ServiceProcess>> e : services.entrySet()) {
            List<ServiceProcess> list = e.getValue();
            for (int i = 0; i < list.size(); i++) {
                ServiceProcess s = list.get(i);
                if (!s.isAlive()) {
                    exited(s);
                    s.start();
                }
            }
        }
        if (System.nanoTime() - lastLivenessProbeNanos < LIVENESS_PROBE_NANOS) {
            return;
        }
        lastLivenessProbeNanos = System.nanoTime();
        probe(Target.GATEWAY, gatewayManagementPorts);
        probe(Target.PROCESSOR, processorPorts);
    }

    /**
     * Records the end of a service that exited by itself: part of a backend kill when its lease session
     * ended with that fault's PostgreSQL restart and it stopped on its lease, as designed; otherwise
     * unplanned.
     */
    private void exited(ServiceProcess s) {
        String fault = leaseLossExcuses.excuse(s.pid(), s.exitCode());
        if (fault != null) {
            exits.add(new ChaosChecks.Exit(
                    s.name, elapsedS(), ChaosChecks.ExitCause.SCHEDULE, fault + ": stopped on its lease"));
            note(String.format(
                    "+%.1fs %s stopped on its lease (status %d) after %s, as designed; restarting it",
                    elapsedS(), s.name, s.exitCode(), fault));
            return;
        }
        exits.add(new ChaosChecks.Exit(s.name, elapsedS(), ChaosChecks.ExitCause.BY_ITSELF, "status " + s.exitCode()));
        note(String.format("+%.1fs %s exited by itself (status %d); restarting it", elapsedS(), s.name, s.exitCode()));
    }

    private void probe(Target target, List<Integer> ports) throws Exception {
        List<ServiceProcess> list = services.getOrDefault(target, List.of());
        for (int i = 0; i < list.size(); i++) {
            ServiceProcess s = list.get(i);
            String dead = notLive(ports.get(i));
            if (dead != null) {
                exits.add(new ChaosChecks.Exit(s.name, elapsedS(), ChaosChecks.ExitCause.LIVENESS_PROBE, dead));
                note(String.format(
                        "+%.1fs %s failed its liveness probe (%s); SIGKILL and restart", elapsedS(), s.name, dead));
                s.kill();
                s.start();
            }
        }
    }

    /** The body of a 503 from {@code /health/live}, or null when live or not answering (starting). */
    private String notLive(int port) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 503 ? r.body() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private void note(String line) {
        System.out.println(line);
        faultLines.add(line);
    }

    private void inject(Fault f, ChaosLoad load, ConcurrentReader reader) throws Exception {
        if (f.target() == Target.POSTGRES) {
            postgresFault(f, load, reader);
            return;
        }
        ServiceProcess s = services.get(f.target()).get(f.instance());
        long pid = s.isAlive() ? s.pid() : -1;
        if (pid < 0) {
            // Dead before its kill, and the supervisor has not seen it yet: it exited by itself.
            exits.add(new ChaosChecks.Exit(s.name, elapsedS(), ChaosChecks.ExitCause.BY_ITSELF, "dead at its kill"));
        }
        long killNanos = System.nanoTime();
        s.kill();
        exits.add(new ChaosChecks.Exit(s.name, elapsedS(), ChaosChecks.ExitCause.SCHEDULE, "fault " + (f.index() + 1)));
        s.start();
        long deadline = System.currentTimeMillis() + recoveryTimeoutMs;
        long readyNanos = -1;
        long recoveredNanos = -1;
        String what;
        switch (f.target()) {
            case GATEWAY -> {
                what = "first 202 it answered";
                if (awaitHttp(s, gatewayPorts.get(f.instance()), "/health/ready", recoveryTimeoutMs)) {
                    readyNanos = System.nanoTime();
                    while (System.currentTimeMillis() < deadline && recoveredNanos < 0) {
                        if (load.lastAcceptedNanos(f.instance()) > readyNanos) {
                            recoveredNanos = load.lastAcceptedNanos(f.instance());
                        }
                        supervise();
                        Thread.sleep(POLL_MS);
                    }
                }
            }
            case PROCESSOR -> {
                what = "its first committed batch";
                if (s.awaitLine("processor " + f.name() + " ready", recoveryTimeoutMs)) {
                    readyNanos = System.nanoTime();
                    while (System.currentTimeMillis() < deadline && recoveredNanos < 0) {
                        if (committedBatches(processorPorts.get(f.instance())) > 0) {
                            recoveredNanos = System.nanoTime();
                        }
                        supervise();
                        Thread.sleep(POLL_MS);
                    }
                }
            }
            case BROKER -> {
                what = "first outcome committed after it was back";
                if (s.awaitLine("broker ready", recoveryTimeoutMs)) {
                    readyNanos = System.nanoTime();
                    while (System.currentTimeMillis() < deadline && recoveredNanos < 0) {
                        if (reader.lastOutcomeNanos() > readyNanos) {
                            recoveredNanos = reader.lastOutcomeNanos();
                        }
                        supervise();
                        Thread.sleep(POLL_MS);
                    }
                }
            }
            default -> throw new IllegalStateException("unknown target " + f.target());
        }
        recovery(
                f,
                "SIGKILL " + f.name() + " (pid " + pid + ")",
                "restarted, ready",
                what,
                killNanos,
                readyNanos,
                recoveredNanos);
    }

    /**
     * A {@code postgres} fault: a stall (every PostgreSQL process stopped for the fault's stall, then
     * continued; the services must ride it out on a SUSPECT lease, shedding new work), or the SIGKILL of
     * the backend of one gateway's or processor's lease session (PostgreSQL then restarts and ends
     * every session, so every service stops on its lease and is restarted: that exit is part of this
     * fault). Recovered once PostgreSQL answers again, every gateway has answered a 202 since, and an
     * outcome was committed after that.
     */
    private void postgresFault(Fault f, ChaosLoad load, ConcurrentReader reader) throws Exception {
        long faultNanos = System.nanoTime();
        String action;
        String ready;
        long backNanos;
        if (f.stall()) {
            int stopped = postgres.stop();
            try {
                waitWatching(f.stallMs());
            } finally {
                postgres.resume();
            }
            backNanos = System.nanoTime();
            action = String.format("SIGSTOP postgres (%d processes) for %d ms", stopped, f.stallMs());
            ready = "SIGCONT";
        } else {
            action = killBackend(f);
            backNanos = awaitPostgresAnswering(faultNanos + recoveryTimeoutMs * 1_000_000);
            ready = "PostgreSQL answering again";
        }
        long recoveredNanos = backNanos < 0 ? -1 : awaitServing(load, reader, backNanos, faultNanos);
        recovery(
                f,
                action,
                ready,
                "a 202 from every gateway and an outcome committed after PostgreSQL was back",
                faultNanos,
                backNanos,
                recoveredNanos);
    }

    /**
     * SIGKILLs the backend of the lease session of service {@code f.instance()} (the gateways, then the
     * processors); every running gateway and processor may then stop on its lease. Returns what it did.
     */
    private String killBackend(Fault f) throws Exception {
        boolean gateway = f.instance() < gateways;
        ServiceProcess owner = gateway
                ? services.get(Target.GATEWAY).get(f.instance())
                : services.get(Target.PROCESSOR).get(f.instance() - gateways);
        PostgresFaults.Backend backend =
                postgres.leaseBackend(gateway ? "gateway" : "processor", owner.name, owner.pid());
        if (backend == null) {
            throw new IllegalStateException("fault " + (f.index() + 1) + ": no lease session to kill");
        }
        String fault = "fault " + (f.index() + 1) + " (SIGKILL of a PostgreSQL backend)";
        for (Target t : List.of(Target.GATEWAY, Target.PROCESSOR)) {
            for (ServiceProcess s : services.get(t)) {
                if (s.isAlive()) {
                    leaseLossExcuses.expect(s.pid(), fault);
                }
            }
        }
        postgres.killBackend(backend.pid());
        return String.format("SIGKILL postgres backend %d (lease session of %s)", backend.pid(), backend.session());
    }

    /** When PostgreSQL answered again after its crash restart (supervising meanwhile), or -1 at the deadline. */
    private long awaitPostgresAnswering(long deadlineNanos) throws Exception {
        while (System.nanoTime() < deadlineNanos) {
            if (postgres.answers()) {
                return System.nanoTime();
            }
            waitWatching(POLL_MS);
        }
        return -1;
    }

    /**
     * When the pipeline serves again after {@code backNanos}: every gateway has answered a 202 since,
     * and then an outcome was committed; -1 when not within the recovery timeout of {@code faultNanos}.
     */
    private long awaitServing(ChaosLoad load, ConcurrentReader reader, long backNanos, long faultNanos)
            throws Exception {
        long deadlineNanos = faultNanos + recoveryTimeoutMs * 1_000_000;
        long acceptedNanos = -1;
        while (System.nanoTime() < deadlineNanos) {
            if (acceptedNanos < 0) {
                long latest = backNanos;
                boolean all = true;
                for (int g = 0; g < gateways; g++) {
                    all &= load.lastAcceptedNanos(g) > backNanos;
                    latest = Math.max(latest, load.lastAcceptedNanos(g));
                }
                acceptedNanos = all ? latest : -1;
            }
            if (acceptedNanos >= 0 && reader.lastOutcomeNanos() > acceptedNanos) {
                return reader.lastOutcomeNanos();
            }
            waitWatching(POLL_MS);
        }
        return -1;
    }

    /**
     * Records the fault's kill window and prints its recovery; not recovered is a violation.
     *
     * @param action what was done, e.g. {@code SIGKILL gateway-1 (pid 123)}
     * @param ready what was reached at {@code readyNanos}, e.g. {@code restarted, ready}
     * @param what what recovery means for this fault
     */
    private void recovery(
            Fault f, String action, String ready, String what, long killNanos, long readyNanos, long recoveredNanos) {
        double killS = (killNanos - runStartNanos) / 1e9;
        killWindows.add(new ChaosChecks.Window(
                killS, recoveredNanos < 0 ? killS + recoveryTimeoutMs / 1e3 : (recoveredNanos - runStartNanos) / 1e9));
        String line;
        if (recoveredNanos < 0) {
            line = String.format(
                    "fault %d: +%.1fs %s: NOT recovered within %d ms (%s)",
                    f.index() + 1, (killNanos - runStartNanos) / 1e9, action, recoveryTimeoutMs, what);
            violations.add(new Violation(
                    "recovery",
                    f.name(),
                    "fault " + (f.index() + 1) + ": no " + what + " within " + recoveryTimeoutMs + " ms"));
        } else {
            line = String.format(
                    "fault %d: +%.1fs %s; %s after %d ms, recovered after %d ms (%s)",
                    f.index() + 1,
                    (killNanos - runStartNanos) / 1e9,
                    action,
                    ready,
                    (readyNanos - killNanos) / 1_000_000,
                    (recoveredNanos - killNanos) / 1_000_000,
                    what);
        }
        System.out.println(line);
        faultLines.add(line);
    }

    /**
     * The zombie case: processor {@code z % processors + 1} is paused with SIGSTOP until the group has
     * taken its partitions away (its session timed out and the others were assigned everything), then
     * resumed with SIGCONT. Whatever it still had in flight must be fenced: the checks afterwards find
     * no duplicate. Prints what the resumed processor logged.
     */
    private void zombie(int z, String bootstrap) throws Exception {
        int i = z % processors;
        ServiceProcess s = services.get(Target.PROCESSOR).get(i);
        String instance = "processor-" + (i + 1);
        if (z == 0) {
            require(s, s.awaitLine("FAULT: stalling batch", recoveryTimeoutMs), instance + " never reached batch 3");
        }
        long t0 = System.nanoTime();
        s.pause();
        int logMark = s.currentOutput().length();
        note(String.format(
                "zombie %d: +%.1fs SIGSTOP %s (pid %d)%s",
                z + 1,
                elapsedS(),
                instance,
                s.pid(),
                z == 0 ? ", between the PostgreSQL and the Kafka commit of its batch 3" : ""));
        boolean moved = awaitPartitionsMoved(instance, bootstrap);
        long movedNanos = System.nanoTime();
        if (!moved) {
            violations.add(new Violation(
                    "zombie", instance, "its partitions did not move within " + recoveryTimeoutMs + " ms"));
        }
        // Its batch's offsets were sent to the transaction before the pause, so the new owner waits
        // for that transaction (read_committed offsets are stable only once it ends). The coordinator
        // aborts it after processor.transactionTimeoutMs and bumps the producer epoch: then the zombie
        // is fenced, and the new owner goes on.
        String txnState = awaitTransactionNotOngoing(bootstrap, "processor-" + instance);
        long abortedNanos = System.nanoTime();
        // Let the new owner commit on the partitions first, so the zombie's batch is stale for sure.
        Thread.sleep(2_000);
        s.resume();
        note(String.format(
                "zombie %d: partitions moved %d ms after SIGSTOP, its transaction %s after %d ms; +%.1fs SIGCONT %s",
                z + 1, (movedNanos - t0) / 1_000_000, txnState, (abortedNanos - t0) / 1_000_000, elapsedS(), instance));
        Thread.sleep(ZOMBIE_STALL_MS + 5_000);
        noteAfterResume(s, instance, logMark);
        if (!s.isAlive() && s.exitCode() == EXIT_LEASE_LOST) {
            // Paused past the lease's 20 s bound, the zombie cannot know that its lock survived, so it
            // stops on its lease (exit 4) as designed: part of this fault, not a crash. Any other exit
            // is left to supervise(), which counts it as unplanned.
            exits.add(new ChaosChecks.Exit(
                    s.name, elapsedS(), ChaosChecks.ExitCause.SCHEDULE, "zombie " + (z + 1) + ": lease lost"));
            note(String.format(
                    "zombie %d: %s stopped on its lease after the pause (status %d), as designed; restarting it",
                    z + 1, instance, EXIT_LEASE_LOST));
            s.start();
        }
    }

    /**
     * Waits, at most --recovery-timeout-ms, until the group's other members hold every partition and
     * {@code instance} (paused) holds none; whether they did.
     */
    private boolean awaitPartitionsMoved(String instance, String bootstrap) throws Exception {
        long deadline = System.currentTimeMillis() + recoveryTimeoutMs;
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (System.currentTimeMillis() < deadline) {
                Thread.sleep(500);
                try {
                    var group = admin.describeConsumerGroups(List.of(GROUP_ID))
                            .describedGroups()
                            .get(GROUP_ID)
                            .get(5, TimeUnit.SECONDS);
                    int others = 0;
                    boolean zombieAssigned = false;
                    for (var m : group.members()) {
                        int n = m.assignment().topicPartitions().size();
                        if (m.groupInstanceId().orElse("").equals(instance)) {
                            zombieAssigned |= n > 0;
                        } else {
                            others += n;
                        }
                    }
                    if (!zombieAssigned && others >= partitions()) {
                        return true;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // Try again.
                }
            }
        }
        return false;
    }

    /** Notes the first warnings, errors and assignments {@code instance} logged since {@code logMark}. */
    private void noteAfterResume(ServiceProcess s, String instance, int logMark) throws java.io.IOException {
        String after =
                s.currentOutput().substring(Math.min(logMark, s.currentOutput().length()));
        after.lines()
                .filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("assigned"))
                .limit(6)
                .forEach(
                        l -> note("  " + instance + " after SIGCONT: " + (l.length() > 220 ? l.substring(0, 220) : l)));
    }

    /**
     * Scale-out then scale-in under load: processor {@code processors + 1} joins the group (recovered at
     * its first committed batch), then processor-1 is sent SIGTERM and leaves it: it drains and exits,
     * and is not restarted. Recovered once the group's other members hold every partition and an
     * outcome is committed after that. A step not done within --recovery-timeout-ms is a violation.
     */
    private void joinAndLeave(Path work, String pgUri, int sandboxPort, String bootstrap, ConcurrentReader reader)
            throws Exception {
        join(work, pgUri, sandboxPort, bootstrap);
        waitWatching(FaultSchedule.parseInterval(interval)[0]);
        leave(bootstrap, reader);
    }

    /** One more processor joins the group under load; recovered at its first committed batch. */
    private void join(Path work, String pgUri, int sandboxPort, String bootstrap) throws Exception {
        List<ServiceProcess> ps = services.get(Target.PROCESSOR);
        int joining = ps.size() + 1;
        String joiner = "processor-" + joining;
        ServiceProcess added = processor(joining, work, pgUri, sandboxPort, bootstrap);
        long t0 = System.nanoTime();
        added.start();
        ps.add(added);
        boolean ready = added.awaitLine("processor " + joiner + " ready", recoveryTimeoutMs);
        long committedNanos = -1;
        long deadline = System.currentTimeMillis() + recoveryTimeoutMs;
        while (ready && System.currentTimeMillis() < deadline && committedNanos < 0) {
            if (committedBatches(processorPorts.get(ps.size() - 1)) > 0) {
                committedNanos = System.nanoTime();
            }
            supervise();
            Thread.sleep(POLL_MS);
        }
        if (committedNanos < 0) {
            violations.add(new Violation(
                    "join", joiner, "no committed batch within " + recoveryTimeoutMs + " ms of its start"));
            note(String.format("join: +%.1fs %s joined: NOT recovered", (t0 - runStartNanos) / 1e9, joiner));
        } else {
            note(String.format(
                    "join: +%.1fs %s joined the group; its first batch committed after %d ms",
                    (t0 - runStartNanos) / 1e9, joiner, (committedNanos - t0) / 1_000_000));
        }
    }

    /**
     * Processor-1 leaves the group (SIGTERM: it drains and exits, and is not restarted); recovered once
     * the others hold every partition and an outcome is committed after that.
     */
    private void leave(String bootstrap, ConcurrentReader reader) throws Exception {
        // Out of the supervised lists first: a service that exits is otherwise started again.
        ServiceProcess leaving = services.get(Target.PROCESSOR).remove(0);
        processorPorts.remove(0);
        long t1 = System.nanoTime();
        boolean exited = leaving.terminate(recoveryTimeoutMs);
        long exitedNanos = System.nanoTime();
        long deadline = System.currentTimeMillis() + recoveryTimeoutMs;
        boolean moved = awaitPartitionsLeft(bootstrap, leaving.name, deadline);
        long movedNanos = System.nanoTime();
        long outcomeNanos = moved ? awaitOutcomeAfter(reader, movedNanos, deadline) : -1;
        if (!exited || outcomeNanos < 0) {
            violations.add(new Violation(
                    "leave",
                    leaving.name,
                    (exited ? "exited" : "did not exit") + " after SIGTERM; its partitions "
                            + (moved ? "moved" : "did not move") + "; no outcome committed after that within "
                            + recoveryTimeoutMs + " ms"));
            note(String.format("leave: +%.1fs SIGTERM %s: NOT recovered", (t1 - runStartNanos) / 1e9, leaving.name));
        } else {
            note(String.format(
                    "leave: +%.1fs SIGTERM %s: exited (status %d) after %d ms, its partitions held by the others"
                            + " after %d ms, an outcome committed after %d ms",
                    (t1 - runStartNanos) / 1e9,
                    leaving.name,
                    leaving.exitCode(),
                    (exitedNanos - t1) / 1_000_000,
                    (movedNanos - t1) / 1_000_000,
                    (outcomeNanos - t1) / 1_000_000));
        }
    }

    /**
     * Whether, by {@code deadline} (epoch ms), the group has no member {@code leaver} any more and its
     * other members hold every partition; supervises meanwhile.
     */
    private boolean awaitPartitionsLeft(String bootstrap, String leaver, long deadline) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (System.currentTimeMillis() < deadline) {
                supervise();
                Thread.sleep(500);
                try {
                    var group = admin.describeConsumerGroups(List.of(GROUP_ID))
                            .describedGroups()
                            .get(GROUP_ID)
                            .get(5, TimeUnit.SECONDS);
                    int held = 0;
                    boolean leaverThere = false;
                    for (var m : group.members()) {
                        leaverThere |= m.groupInstanceId().orElse("").startsWith(leaver);
                        held += m.assignment().topicPartitions().size();
                    }
                    if (!leaverThere && held >= partitions()) {
                        return true;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // Try again.
                }
            }
        }
        return false;
    }

    /** When the first outcome after {@code afterNanos} was committed, or -1 if none by {@code deadline} (epoch ms). */
    private long awaitOutcomeAfter(ConcurrentReader reader, long afterNanos, long deadline) throws Exception {
        while (System.currentTimeMillis() < deadline) {
            if (reader.lastOutcomeNanos() > afterNanos) {
                return reader.lastOutcomeNanos();
            }
            supervise();
            Thread.sleep(POLL_MS);
        }
        return -1;
    }

    /** Waits until the transaction of {@code transactionalId} is no longer ongoing; returns its state. */
    private String awaitTransactionNotOngoing(String bootstrap, String transactionalId) throws Exception {
        long deadline = System.currentTimeMillis() + recoveryTimeoutMs;
        String state = "unknown";
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    state = admin.describeTransactions(List.of(transactionalId))
                            .description(transactionalId)
                            .get(5, TimeUnit.SECONDS)
                            .state()
                            .toString();
                    if (!state.equalsIgnoreCase("ONGOING")) {
                        return state;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // Try again.
                }
                supervise();
                Thread.sleep(500);
            }
        }
        return state + " (still, after " + recoveryTimeoutMs + " ms)";
    }

    /** {@code processor_batches_committed_total} of the processor on {@code port}, 0 when unknown. */
    private long committedBatches(int port) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String l : r.body().split("\n")) {
                if (l.startsWith("processor_batches_committed_total ")) {
                    return (long)
                            Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim());
                }
            }
        } catch (Exception e) {
            // Not up yet.
        }
        return 0;
    }

    private boolean awaitHttp(ServiceProcess s, int port, String path, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline && s.isAlive()) {
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return true;
                }
            } catch (java.io.IOException e) {
                // Not listening yet.
            }
            Thread.sleep(POLL_MS);
        }
        return false;
    }

    /** Waits until every accepted payment and every published billing event has its outcome. */
    private void settle(ChaosLoad load, ConcurrentReader reader, String bootstrap, Pool pool) throws Exception {
        long t0 = System.currentTimeMillis();
        long deadline = t0 + settleTimeoutMs;
        Set<String> accepted = new HashSet<>();
        load.answers().forEach((id, a) -> {
            if (a == Answer.ACCEPTED) {
                accepted.add(id);
            }
        });
        long missing = -1;
        long changedAt = System.currentTimeMillis();
        boolean described = false;
        while (true) {
            waitWatching(500);
            if (!described && System.currentTimeMillis() - t0 >= SETTLE_DESCRIBE_AFTER_MS) {
                // A slow settle is diagnosed while it lasts, not only when it times out.
                described = true;
                System.out.printf(
                        "settle still waiting after %d ms; what holds read_committed readers back:%n",
                        SETTLE_DESCRIBE_AFTER_MS);
                OpenTransactions.describe(bootstrap, QUIESCENT_TOPICS).forEach(System.out::println);
            }
            Set<String> outcomes = reader.outcomeIds();
            long now = accepted.stream().filter(id -> !outcomes.contains(id)).count()
                    + reader.billingIds().stream()
                            .filter(id -> !outcomes.contains(id))
                            .count();
            if (now != missing) {
                missing = now;
                changedAt = System.currentTimeMillis();
            }
            if (missing == 0 || System.currentTimeMillis() >= deadline) {
                break;
            }
            // A naive mode may never deliver what it lost: stop waiting once nothing moves.
            if (naive() && System.currentTimeMillis() - changedAt >= NAIVE_SETTLE_QUIET_MS) {
                break;
            }
        }
        System.out.printf(
                "settled after %d ms (%d accepted or published payments still without an outcome)%n",
                System.currentTimeMillis() - t0, missing);
        if (refunds != null) {
            RefundVerification.settle(refunds, pool, settleTimeoutMs, this::waitWatching);
        }
        // Instead of a fixed wait for anything late: verify only once no transaction holds a reader back.
        awaitQuiescence(bootstrap);
        if (missing > 0) {
            System.out.println("what holds read_committed readers back:");
            OpenTransactions.describe(bootstrap, QUIESCENT_TOPICS).forEach(System.out::println);
            // Where each service stands, in its log for the post-mortem.
            for (Target t : List.of(Target.GATEWAY, Target.PROCESSOR)) {
                for (ServiceProcess s : services.getOrDefault(t, List.of())) {
                    if (s.isAlive()) {
                        s.dumpThreads();
                    }
                }
            }
        }
    }

    /**
     * Waits until every partition of the pipeline's topics has its last stable offset at its high
     * watermark (every transaction decided, a hanging one aborted by the processors' watchdog), at
     * most --quiescence-timeout-ms; not at rest by then is a violation, and what holds it is printed.
     */
    private void awaitQuiescence(String bootstrap) throws Exception {
        long t0 = System.currentTimeMillis();
        List<String> held = List.of("not checked yet");
        while (System.currentTimeMillis() - t0 < quiescenceTimeoutMs) {
            try {
                held = Quiescence.check(bootstrap, QUIESCENT_TOPICS);
            } catch (Exception e) {
                held = List.of("could not look: " + e);
            }
            if (held.isEmpty()) {
                break;
            }
            waitWatching(500);
        }
        long waitedMs = System.currentTimeMillis() - t0;
        summary.put(
                "quiescence (every last stable offset at its high watermark)",
                held.isEmpty()
                        ? "reached after " + waitedMs + " ms"
                        : "NOT reached within " + quiescenceTimeoutMs + " ms");
        if (!held.isEmpty()) {
            violations.add(new Violation("quiescence", "topics", "after " + waitedMs + " ms still " + held));
            OpenTransactions.describe(bootstrap, QUIESCENT_TOPICS).forEach(System.out::println);
        }
    }

    /** What the topics hold once at rest, read_committed (by position, and per kind) and read_uncommitted. */
    private record Logs(
            Map<Position, String> committed,
            Map<Position, String> written,
            List<Read> outcomes,
            Map<String, Integer> billing,
            int redriven,
            Set<String> billingIds,
            Set<String> acceptedMetrics) {}

    private static Logs readLogs(String bootstrap) throws Exception {
        Map<Position, String> committed = new HashMap<>();
        Map<Position, String> written = new HashMap<>();
        List<Read> outcomes = new ArrayList<>();
        Map<String, Integer> billing = new HashMap<>();
        Set<String> billingIds = new HashSet<>();
        Set<String> acceptedMetrics = new HashSet<>();
        int redriven = 0;
        for (String topic : List.of(Topics.BILLING, Topics.METRICS, Topics.RESULTS)) {
            for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(bootstrap, topic, true)) {
                Position p = new Position(topic, r.partition(), r.offset());
                committed.put(p, r.key());
                if (topic.equals(Topics.RESULTS)) {
                    outcomes.add(new Read(p, r.key()));
                } else if (topic.equals(Topics.BILLING)) {
                    if (ChaosChecks.isPublication(r.headers())) {
                        billing.merge(r.key(), 1, Integer::sum);
                    } else {
                        redriven++;
                    }
                    billingIds.add(r.key());
                } else {
                    acceptedMetrics.addAll(acceptedIds(r.value()));
                }
            }
            for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(bootstrap, topic, false)) {
                written.put(new Position(topic, r.partition(), r.offset()), r.key());
            }
        }
        return new Logs(committed, written, outcomes, billing, redriven, billingIds, acceptedMetrics);
    }

    private void verify(ChaosLoad load, ConcurrentReader reader, String bootstrap, Pool pool) throws Exception {
        Logs logs = readLogs(bootstrap);
        Map<Position, String> committed = logs.committed();
        Map<Position, String> written = logs.written();
        List<Read> outcomes = logs.outcomes();
        Map<String, Integer> billing = logs.billing();
        summary.put(
                "re-driven billing records (header redrive: repairs, not counted as publications)",
                String.valueOf(logs.redriven()));
        List<Read> concurrent = reader.reads();
        violations.addAll(reader.violations());
        violations.addAll(ChaosChecks.coverage(
                concurrent.size(), load.accepted(), reader.groupPolls(), checkedSeconds, reader.failures()));
        violations.addAll(ChaosChecks.abortedReads(concurrent, committed, written));
        violations.addAll(ChaosChecks.duplicateOutcomes(outcomes));
        violations.addAll(ChaosChecks.batchAtomicity(logs.billingIds(), logs.acceptedMetrics()));
        Map<String, Integer> outcomeCounts = new HashMap<>();
        outcomes.forEach(o -> outcomeCounts.merge(o.key(), 1, Integer::sum));
        ChaosChecks.Effects effects = new ChaosChecks.Effects(
                // The naive modes record into naive_outcomes, one row per processing, so a payment
                // processed twice is counted twice.
                countBy(
                        pool,
                        naive()
                                ? "SELECT payment_id, count(*) FROM naive_outcomes GROUP BY 1"
                                : "SELECT payment_id, count(*) FROM payments GROUP BY 1"),
                countBy(
                        pool,
                        "SELECT payment_id, count(*) FROM sandbox.charges WHERE payment_id IS NOT NULL AND created_s >= "
                                + chargesFromEpochS() + " GROUP BY 1"),
                outcomeCounts,
                billing);
        ChaosChecks.Tally t = ChaosChecks.verify(load.answers(), effects);
        violations.addAll(t.violations());
        summary.put("requests sent", load.answers().size() + " payments, " + load.retries() + " retries");
        summary.put(
                "accepted (2xx)",
                t.accepted() + ", complete (recorded, charged, one outcome): " + t.acceptedComplete());
        summary.put(
                "unknown (no definite answer by the retry deadline)",
                t.unknown() + ": " + t.unknownPresent() + " fully present once, " + t.unknownAbsent()
                        + " fully absent");
        summary.put(
                "refused (4xx)",
                t.rejected() + " (connections refused while a gateway was down, retried: " + load.refusedConnections()
                        + ")");
        summary.put("not sent (outstanding limit)", Long.toString(load.unsent()));
        verifyClients(load, billing, pool);
        summary.put("records read concurrently (read_committed)", Long.toString(concurrent.size()));
        summary.put(
                "aborted records in the log (read_uncommitted only)",
                Long.toString(ChaosChecks.abortedRecords(committed, written)));
        summary.put(
                "committed-offset polls of the processors' group",
                reader.groupPolls() + String.format(" in %.1f s of concurrent checks", checkedSeconds));
        summary.put("outcomes on payments.results", Long.toString(outcomes.size()));
        summary.put(
                "ledger rows",
                Long.toString(
                        effects.ledger().values().stream().mapToLong(i -> i).sum()));
        List<String> unmarked = unmarkedCharges(pool);
        summary.put(
                "sandbox charges",
                (effects.charges().values().stream().mapToLong(i -> i).sum() + unmarked.size())
                        + " (without a payment id: " + unmarked.size() + ")");
        summary.put("accepted per second", String.format("%.1f", load.acceptedPerSecond()));
        summary.put("p99 of accepted (ms, from intended send)", String.format("%.1f", load.acceptedLatencyMs(99)));
        shape(load, reader, effects, outcomes.size(), t.accepted());
    }

    /** What the comparison of guarantees counts (lost, duplicates, throughput): printed, and the mode's row. */
    private void shape(
            ChaosLoad load, ConcurrentReader reader, ChaosChecks.Effects effects, long outcomeCount, long accepted) {
        ChaosChecks.Shape shape = ChaosChecks.shape(load.answers(), effects);
        double seconds = Math.max(1e-9, (reader.lastOutcomeNanos() - runStartNanos) / 1e9);
        double perSecond = reader.lastOutcomeNanos() > runStartNanos ? outcomeCount / seconds : 0;
        summary.put("guarantee", guarantee);
        summary.put(
                "lost (accepted, no outcome and no charge)",
                shape.lost().size() + (shape.lost().isEmpty() ? "" : ", e.g. " + first(shape.lost())));
        summary.put(
                "payments with duplicate outcomes",
                shape.duplicateOutcomes().size()
                        + (shape.duplicateOutcomes().isEmpty() ? "" : ", e.g. " + first(shape.duplicateOutcomes())));
        summary.put(
                "payments charged more than once",
                shape.duplicateCharges().size()
                        + (shape.duplicateCharges().isEmpty() ? "" : ", e.g. " + first(shape.duplicateCharges())));
        summary.put("outcomes per second (load start to last outcome)", String.format("%.1f", perSecond));
        row = new ModeRow(
                guarantee,
                accepted,
                shape.lost().size(),
                shape.duplicateOutcomes().size(),
                shape.duplicateCharges().size(),
                perSecond,
                load.acceptedLatencyMs(99),
                -1);
    }

    /**
     * What the retrying clients were told against what the gateway recorded: the unanswered keys
     * (excused only in a kill window with no reservation), every accepted intent published once, and
     * the share of the load offered outside kill windows that was accepted.
     */
    private void verifyClients(ChaosLoad load, Map<String, Integer> billing, Pool pool) throws Exception {
        Map<String, String> intents = new HashMap<>();
        for (Row r : pool.query("SELECT payment_id, state FROM payment_intent_states")
                .execute()
                .await(60, TimeUnit.SECONDS)) {
            intents.put(r.getString(0), r.getString(1));
        }
        Map<String, Double> unansweredLastTryS = new HashMap<>();
        load.clients().forEach((id, c) -> {
            if (c.answer() == Answer.UNKNOWN) {
                unansweredLastTryS.put(id, c.lastTryS());
            }
        });
        ChaosChecks.Unanswered u = ChaosChecks.unanswered(unansweredLastTryS, killWindows, intents);
        violations.addAll(u.violations());
        violations.addAll(ChaosChecks.acceptedIntents(intents, billing));
        ChaosChecks.Fraction f = ChaosChecks.acceptedFraction(load.offers(), killWindows);
        violations.addAll(f.violations());
        long acceptedIntents =
                intents.values().stream().filter("accepted"::equals).count();
        summary.put(
                "payment_intents",
                acceptedIntents + " accepted (each on payments.billing once), " + (intents.size() - acceptedIntents)
                        + " reserved");
        summary.put(
                "unanswered excused (last try in a kill window, never reserved)",
                u.excused() + " of " + unansweredLastTryS.size());
        summary.put(
                "accepted outside kill windows",
                String.format(
                        "%d of %d offered (%.2f %%; at least %.0f %% required; %d kill windows, %.1f s in all)",
                        f.accepted(),
                        f.offered(),
                        100 * f.value(),
                        100 * ChaosChecks.ACCEPTED_FRACTION_MIN,
                        killWindows.size(),
                        killWindows.stream()
                                .mapToDouble(w -> w.toS() - w.fromS())
                                .sum()));
    }

    /** The ids of the run's sandbox charges without a payment id; each is a violation. */
    private List<String> unmarkedCharges(Pool pool) throws Exception {
        List<String> unmarked = new ArrayList<>();
        for (Row r : pool.query("SELECT id FROM sandbox.charges WHERE payment_id IS NULL AND created_s >= "
                        + chargesFromEpochS())
                .execute()
                .await(60, TimeUnit.SECONDS)) {
            unmarked.add(r.getString(0));
        }
        violations.addAll(ChaosChecks.unmarkedCharges(unmarked));
        return unmarked;
    }

    /** The run's window for sandbox charges: from a minute before the load started (clock slack). */
    private long chargesFromEpochS() {
        return runStartEpochMs / 1000 - 60;
    }

    private static List<String> first(List<String> ids) {
        return ids.subList(0, Math.min(3, ids.size()));
    }

    private boolean naive() {
        return !guarantee.equals(GUARANTEES.get(0));
    }

    private final Map<String, String> summary = new LinkedHashMap<>();

    /** The payments a metrics record (one a batch) says were accepted; none for a record it cannot read. */
    private static List<String> acceptedIds(byte[] value) {
        try {
            return MetricsBatch.parse(value).ids(MetricsBatch.ACCEPTED);
        } catch (RuntimeException e) {
            // Not a metrics batch: it accepts nothing, and both-or-neither reports the billing events.
            return List.of();
        }
    }

    private static Map<String, Integer> countBy(Pool pool, String sql) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (Row r : pool.query(sql).execute().await(60, TimeUnit.SECONDS)) {
            out.put(r.getString(0), r.getLong(1).intValue());
        }
        return out;
    }

    private void reconcile(Vertx vertx, String pgUri, String bootstrap, int sandboxPort) throws Exception {
        long now = System.currentTimeMillis();
        long from = now - (System.nanoTime() - runStartNanos) / 1_000_000 - 600_000;
        ReconcileOptions o = new ReconcileOptions(
                from,
                now,
                0,
                60_000,
                false,
                java.nio.file.Files.createTempFile("chaos-reconcile", ".json"),
                pgUri,
                Map.of("bootstrap.servers", bootstrap),
                GROUP_ID,
                "http://127.0.0.1:" + sandboxPort,
                SANDBOX_SECRET,
                1_000,
                10_000);
        ReconcileReport r = new Reconciler(vertx, o).run();
        long foreign = r.count(BreakClass.FOREIGN_CHARGE);
        summary.put("reconcile breaks", r.total() + " (foreign charges, not counted by reconcile: " + foreign + ")");
        if (r.total() > 0 || foreign > 0) {
            System.out.println(r.table());
            for (BreakClass c : BreakClass.values()) {
                // A foreign charge is informational for an operator on a shared account; here the
                // account is the run's own, so every charge on it must be the run's.
                if ((c.counted() || c == BreakClass.FOREIGN_CHARGE) && r.count(c) > 0) {
                    violations.add(new Violation("reconcile", c.name(), r.count(c) + " breaks, e.g. " + r.ids(c)));
                }
            }
        }
    }

    private int report(ChaosLoad load, ConcurrentReader reader) {
        summary.put("lease events in the gateway and processor logs", LeaseEvents.count(services));
        System.out.println();
        System.out.println("== chaos result (processor.guarantee " + guarantee + ") ==");
        System.out.printf(
                "faults injected: %d; processes that exited by themselves: %d; restarted after a failed liveness probe: %d%n",
                kills, exitCount(ChaosChecks.ExitCause.BY_ITSELF), exitCount(ChaosChecks.ExitCause.LIVENESS_PROBE));
        faultLines.forEach(l -> System.out.println("  " + l));
        summary.forEach((k, v) -> System.out.println(k + ": " + v));
        System.out.println("violations: " + violations.size());
        violations.stream().limit(VIOLATIONS_PRINTED_MAX).forEach(v -> System.out.println("  VIOLATION " + v));
        if (violations.size() > VIOLATIONS_PRINTED_MAX) {
            System.out.println("  ... and " + (violations.size() - VIOLATIONS_PRINTED_MAX) + " more");
        }
        return violations.isEmpty() ? 0 : 1;
    }

    private long exitCount(ChaosChecks.ExitCause cause) {
        return exits.stream().filter(e -> e.cause() == cause).count();
    }

    /** SIGCONT to whatever a postgres stall stopped; reported, never thrown (it runs while stopping). */
    private void resumePostgres() {
        PostgresFaults p = postgres;
        if (p != null) {
            try {
                p.resume();
            } catch (Exception e) {
                System.err.println("could not continue PostgreSQL: " + e);
            }
        }
    }

    private synchronized void stopServices() {
        stopping = true;
        for (List<ServiceProcess> list : services.values()) {
            for (ServiceProcess s : list) {
                try {
                    s.kill();
                } catch (Exception e) {
                    System.err.println("could not stop " + s.name + ": " + e);
                }
            }
        }
    }

    private double elapsedS() {
        return (System.nanoTime() - runStartNanos) / 1e9;
    }

    /** The Kafka clients log every failed reconnect while the broker is down on purpose. */
    private static void quietKafkaClients() {
        try {
            org.apache.logging.log4j.core.config.Configurator.setLevel(
                    "org.apache.kafka", org.apache.logging.log4j.Level.ERROR);
            // Every connection a killed gateway breaks is logged at ERROR; the answers count them instead.
            org.apache.logging.log4j.core.config.Configurator.setLevel(
                    "io.vertx.core.net.impl", org.apache.logging.log4j.Level.FATAL);
        } catch (NoClassDefFoundError e) {
            // Another logging backend: leave it as configured.
        }
    }
}
