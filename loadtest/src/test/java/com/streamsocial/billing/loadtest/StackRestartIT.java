package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.ChaosLoad;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.Quiescence;
import com.streamsocial.billing.stack.TempDirs;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The local stack keeps its data: {@code java -jar loadtest.jar stack --data-dir DIR} as its own JVM,
 * on free ports (never QuickStartIT's or a developer's running stack, and failsafe runs one IT at a
 * time). Under an open-loop load it is stopped with SIGTERM and started again, then killed with
 * SIGKILL and started again; each stop comes during a provider outage, so payments are pending at the
 * stop. Afterwards every {@code 202} has exactly one ledger row, one charge at the sandbox, one billing
 * event and one outcome on payments.results (read_committed), an unanswered request all of these or
 * none, nothing else is there, and {@code GET} finds every accepted payment. A second stack on the
 * same directory is refused, naming the directory and the holder's pid, and touches nothing.
 */
class StackRestartIT {
    /** Open-loop payments per second: a backlog builds within a second of an outage. */
    private static final int RATE_PER_S = 40;
    /** Load on each stack before its outage and stop. */
    private static final long LOAD_MS = 4_000;
    /** Outage before each stop: what is accepted meanwhile stays pending. */
    private static final long OUTAGE_MS = 1_500;

    private static final long START_TIMEOUT_MS = 180_000;
    private static final long STOP_TIMEOUT_MS = 120_000;
    private static final long SETTLE_TIMEOUT_MS = 180_000;
    /**
     * The stack's status after a clean stop on SIGTERM: it sets none of its own, so the JVM exits with
     * 128 + 15 once its shutdown hook (drain, broker and PostgreSQL stopped) has run. A status set by
     * anything else (a halt, an exit from a failing service) shows as another value.
     */
    private static final int SIGTERM_EXIT_STATUS = 128 + 15;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<JarProcess> stacks = new ArrayList<>();
    private Path data;
    private Map<String, String> settings;
    private int gatewayPort;
    private int sandboxPort;
    private int kafkaPort;
    private int pgPort;

    @BeforeEach
    void ports() throws Exception {
        data = Files.createTempDirectory("stack-restart-").resolve("data");
        gatewayPort = FreePorts.pick();
        sandboxPort = FreePorts.pick();
        kafkaPort = FreePorts.pick();
        pgPort = FreePorts.pick();
        // Fixed across restarts, so that the counts below read the same broker and database.
        settings = Map.of(
                "stack.kafkaPort", Integer.toString(kafkaPort),
                "stack.pgPort", Integer.toString(pgPort),
                "stack.sandboxPort", Integer.toString(sandboxPort),
                "http.port", Integer.toString(gatewayPort),
                "management.port", Integer.toString(FreePorts.pick()),
                "processor.httpPort", Integer.toString(FreePorts.pick()),
                // Restarts and data are tested here, not the JIT: no warm-up payments in the counts.
                "stack.warmupSeconds", "0");
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (JarProcess s : stacks) {
            if (s.isAlive()) {
                s.stop();
            }
        }
        // A stack that had to be killed leaves its PostgreSQL running (it outlives the JVM).
        stopPostmaster();
        TempDirs.delete(data.getParent());
    }

    @Test
    void aSecondStackOnTheSameDirectoryIsRefusedAndTouchesNothing() throws Exception {
        JarProcess first = startStack();
        String lockBefore = Files.readString(data.resolve("stack.lock"));
        String postmasterBefore = Files.readString(data.resolve("pg/postmaster.pid"));

        JarProcess second =
                JarProcess.start("loadtest", List.of("-Xmx256m"), settings, "stack", "--data-dir", data.toString());
        Integer exit = second.awaitExit(60_000);
        assertThat(exit).as(second.output()).isEqualTo(BillingStack.EXIT_DATA_DIR_IN_USE);
        assertThat(second.stderr())
                .as("the refusal names the directory and the pid that holds it")
                .contains("refused", data.toAbsolutePath().toString(), "pid " + first.pid());
        assertThat(second.stdout()).doesNotContain("stack is up");
        assertThat(Files.readString(data.resolve("stack.lock"))).isEqualTo(lockBefore);
        assertThat(Files.readString(data.resolve("pg/postmaster.pid")))
                .as("the first stack's PostgreSQL still runs, untouched")
                .isEqualTo(postmasterBefore);
        assertThat(first.isAlive()).isTrue();
        assertThat(post("refused-check-1").statusCode()).isEqualTo(202);
    }

    @Test
    void aRestartAfterSigtermAndAfterSigkillUnderLoadLosesNothingAndDoublesNothing() throws Exception {
        startStack();
        Vertx vertx = Vertx.vertx();
        ChaosLoad load = new ChaosLoad(
                vertx,
                List.of(gatewayPort),
                RATE_PER_S,
                "restart-" + Long.toString(System.nanoTime(), 36) + "-",
                TenantKeys.DEV_TENANT,
                TenantKeys.devKey());
        try {
            load.start();

            Thread.sleep(LOAD_MS);
            long pendingAtSigterm = outageThenPending(load);
            JarProcess stopped = stacks.get(stacks.size() - 1);
            stopped.terminate(); // SIGTERM, as Ctrl-C
            assertThat(stopped.awaitExit(STOP_TIMEOUT_MS))
                    .as("exit status after SIGTERM\n%s", stopped.output())
                    .isEqualTo(SIGTERM_EXIT_STATUS);
            assertThat(stopped.stdout()).contains("stopped; data kept in " + data.toAbsolutePath());

            startStack();
            Thread.sleep(LOAD_MS);
            long pendingAtSigkill = outageThenPending(load);
            stacks.get(stacks.size() - 1).kill(); // SIGKILL: no hook, PostgreSQL left running

            JarProcess last = startStack();
            assertThat(last.stdout()).contains("stopping the PostgreSQL");
            Thread.sleep(LOAD_MS);
            load.stop();
            load.awaitAnswers();
            System.out.printf(
                    "payments pending at the SIGTERM: %d, at the SIGKILL: %d; accepted %d, refused connections %d%n",
                    pendingAtSigterm, pendingAtSigkill, load.accepted(), load.refusedConnections());
            assertThat(pendingAtSigterm).as("payments pending at the SIGTERM").isPositive();
            assertThat(pendingAtSigkill).as("payments pending at the SIGKILL").isPositive();

            Map<String, Answer> answers = Map.copyOf(load.answers());
            String bootstrap = "127.0.0.1:" + kafkaPort;
            settle(answers, bootstrap);
            try (Pg pg = new Pg(vertx, pgUri())) {
                ChaosChecks.Tally t = ChaosChecks.verify(answers, effects(pg, bootstrap));
                System.out.printf(
                        "accepted %d (complete %d), unknown %d (%d present, %d absent), refused %d%n",
                        t.accepted(),
                        t.acceptedComplete(),
                        t.unknown(),
                        t.unknownPresent(),
                        t.unknownAbsent(),
                        t.rejected());
                assertThat(t.violations()).as("lost or doubled").isEmpty();
                assertThat(t.accepted()).isPositive();
                assertThat(t.acceptedComplete()).isEqualTo(t.accepted());
            }
            assertEveryAcceptedPaymentIsFoundDecided(answers);
        } finally {
            load.close();
            vertx.close().await();
        }
    }

    /** GET finds every earlier accepted payment, decided. */
    private void assertEveryAcceptedPaymentIsFoundDecided(Map<String, Answer> answers) throws Exception {
        for (Map.Entry<String, Answer> a : new TreeMap<>(answers).entrySet()) {
            if (a.getValue() != Answer.ACCEPTED) {
                continue;
            }
            HttpResponse<String> got = http.send(
                    HttpRequest.newBuilder(URI.create(gateway() + "/v1/payments/" + a.getKey()))
                            .header("Authorization", "Bearer " + TenantKeys.devKey())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(got.statusCode()).as(a.getKey() + ": " + got.body()).isEqualTo(200);
            assertThat(new JsonObject(got.body()).getString("status"))
                    .as(a.getKey())
                    .isEqualTo("succeeded");
        }
    }

    /**
     * Turns the sandbox into an outage (every call 503: the processor retries and decides nothing) for
     * {@link #OUTAGE_MS} under the load, and returns how many accepted payments are undecided: the
     * ones the next start must process. The outage ends with the stop (the sandbox starts without it).
     */
    private long outageThenPending(ChaosLoad load) throws Exception {
        HttpResponse<String> set = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sandboxPort + "/sandbox/faults"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"error_rate\":1.0,\"error_status\":503}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        Thread.sleep(OUTAGE_MS);
        Vertx v = Vertx.vertx();
        try (Pg pg = new Pg(v, pgUri())) {
            return pg.count("SELECT count(*) FROM payment_intent_states WHERE state = 'accepted'")
                    - pg.count("SELECT count(*) FROM payments WHERE status IN ('succeeded','failed')");
        } finally {
            v.close().await();
        }
    }

    /**
     * Ledger rows, sandbox charges, outcomes and billing events by payment id. Every billing record
     * consumed and no transaction open first: a late duplicate is on the topics then or cannot come,
     * so each is read to its end instead of after a wait.
     */
    private ChaosChecks.Effects effects(Pg pg, String bootstrap) {
        Map<String, List<ConsumerRecord<String, byte[]>>> topics = Quiescence.readAfterConsumed(
                bootstrap,
                PipelineAssertions.PROCESSOR_GROUP,
                Topics.BILLING,
                List.of(Topics.RESULTS, Topics.BILLING),
                PipelineAssertions.QUIESCENCE_BOUND);
        return new ChaosChecks.Effects(
                countIds(pg.strings("SELECT payment_id FROM payments")),
                countIds(pg.strings("SELECT payment_id FROM sandbox.charges WHERE payment_id IS NOT NULL")),
                countKeys(topics.get(Topics.RESULTS)),
                countKeys(topics.get(Topics.BILLING)));
    }

    /** Waits until every accepted payment and every billing event has its outcome. */
    private static void settle(Map<String, Answer> answers, String bootstrap) throws InterruptedException {
        Set<String> accepted = answers.entrySet().stream()
                .filter(e -> e.getValue() == Answer.ACCEPTED)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        long deadline = System.currentTimeMillis() + SETTLE_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            Set<String> outcomes = countKeys(TopicReader.readAll(bootstrap, Topics.RESULTS, true))
                    .keySet();
            Set<String> published = countKeys(TopicReader.readAll(bootstrap, Topics.BILLING, true))
                    .keySet();
            if (outcomes.containsAll(accepted) && outcomes.containsAll(published)) {
                break;
            }
            Thread.sleep(1_000);
        }
    }

    private JarProcess startStack() throws Exception {
        JarProcess s =
                JarProcess.start("loadtest", List.of("-Xmx1g"), settings, "stack", "--data-dir", data.toString());
        stacks.add(s);
        assertThat(s.awaitLine("stack is up", START_TIMEOUT_MS)).as(s.output()).isTrue();
        return s;
    }

    private HttpResponse<String> post(String key) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(gateway() + "/v1/payments"))
                        .header("Authorization", "Bearer " + TenantKeys.devKey())
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofString(
                                        "{\"amount\":1999,\"currency\":\"USD\",\"customer_id\":\"cus_42\",\"payment_method\":\"pm_card_visa\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String gateway() {
        return "http://127.0.0.1:" + gatewayPort;
    }

    private String pgUri() {
        return "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
    }

    private static Map<String, Integer> countIds(List<String> ids) {
        Map<String, Integer> out = new HashMap<>();
        ids.forEach(id -> out.merge(id, 1, Integer::sum));
        return out;
    }

    private static Map<String, Integer> countKeys(List<ConsumerRecord<String, byte[]>> records) {
        Map<String, Integer> out = new HashMap<>();
        records.forEach(r -> out.merge(r.key(), 1, Integer::sum));
        return out;
    }

    /** Fast shutdown of a PostgreSQL a killed stack left on {@link #data}, if any. */
    private void stopPostmaster() throws Exception {
        Path pidFile = data.resolve("pg/postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        Optional<ProcessHandle> pm = lines.isEmpty()
                ? Optional.empty()
                : ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
                        .filter(p -> p.info().command().orElse("").endsWith("/postgres"));
        if (pm.isPresent()) {
            new ProcessBuilder("kill", "-INT", Long.toString(pm.get().pid()))
                    .inheritIO()
                    .start()
                    .waitFor();
            pm.get().onExit().get(60, TimeUnit.SECONDS);
        }
    }
}
