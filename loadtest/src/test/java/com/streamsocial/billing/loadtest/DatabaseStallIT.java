package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.TempDirs;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 18 item 7: a database stall must not stop the service. The README's stack ({@code
 * loadtest.jar stack} as its own JVM, on free ports) under load from {@value #CLIENTS} clients that
 * retry every unknown answer with the same {@code Idempotency-Key}; every PostgreSQL process is
 * stopped with SIGSTOP for {@link #STALLS_MS} (8 s and 15 s), then continued. Afterwards: no
 * gateway or processor stopped (no lease LOST, no supervisor restart), the stall was seen (the lease
 * went SUSPECT, new payments were shed with {@code lease_suspect}, readiness was false), every
 * client got a definite answer within the stall plus {@value #ANSWER_AFTER_STALL_MS} ms, and every
 * accepted payment has exactly one billing event, one ledger row and one charge, and nothing else
 * is there. Then the supervisor: the gateway's lease session ended by the server stops the gateway,
 * which the stack restarts, counted and logged.
 */
class DatabaseStallIT {
    static final int CLIENTS = 32;
    /**
     * Each stall, in turn, with {@link #BETWEEN_STALLS_MS} of load before each: 8 s, 15 s and 8 s in
     * CI; {@code -DdatabaseStall.stallsMs=8000,15000,...} for a longer run (the ten).
     */
    private static final long[] STALLS_MS = java.util.Arrays.stream(
                    System.getProperty("databaseStall.stallsMs", "8000,15000,8000")
                            .split(","))
            .mapToLong(v -> Long.parseLong(v.trim()))
            .toArray();

    private static final long BETWEEN_STALLS_MS = 8_000;
    /** The bound: a retrying client has its definite answer within the stall plus this. */
    static final long ANSWER_AFTER_STALL_MS = 10_000;
    /** A client's pause between two payments, so that 32 clients do not saturate a 2-core CI box. */
    private static final long THINK_MS = 200;

    private static final long REQUEST_TIMEOUT_MS = 5_000;
    /** A client gives up on a key after this long; a key given up is a violation. */
    private static final long KEY_DEADLINE_MS = 60_000;

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    private static Path data;
    private static JarProcess stack;
    private static int gatewayPort;
    /** The gateway's management listener: readiness with its detail, and the metrics. */
    private static int managementPort;

    private static int processorPort;
    private static int kafkaPort;
    private static int pgPort;

    @BeforeAll
    static void startStack() throws Exception {
        data = Files.createTempDirectory("db-stall-").resolve("data");
        gatewayPort = FreePorts.pick();
        managementPort = FreePorts.pick();
        processorPort = FreePorts.pick();
        kafkaPort = FreePorts.pick();
        pgPort = FreePorts.pick();
        Map<String, String> settings = Map.of(
                "stack.kafkaPort", Integer.toString(kafkaPort),
                "stack.pgPort", Integer.toString(pgPort),
                "stack.sandboxPort", Integer.toString(FreePorts.pick()),
                "http.port", Integer.toString(gatewayPort),
                "management.port", Integer.toString(managementPort),
                "processor.httpPort", Integer.toString(processorPort),
                "stack.warmupSeconds", "0");
        stack = JarProcess.start("loadtest", List.of("-Xmx1g"), settings, "stack", "--data-dir", data.toString());
        assertThat(stack.awaitLine("stack is up", 180_000)).as(stack.output()).isTrue();
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (stack != null) {
            signal("CONT", pgPids()); // never leave a stopped PostgreSQL behind
            stack.stop();
        }
        TempDirs.delete(data.getParent());
    }

    @Test
    void stallsOfEightAndFifteenSecondsUnderRetryingLoadStopNothingLoseNothingDoubleNothing() throws Exception {
        int stdoutBefore = stack.stdout().length();
        int stderrBefore = stack.stderr().length();
        Clients clients = new Clients("stall-" + Long.toString(System.nanoTime(), 36) + "-");
        List<long[]> stalls = new ArrayList<>();
        List<String> readinessDuringStalls = new CopyOnWriteArrayList<>();
        try {
            clients.start();
            for (long stallMs : STALLS_MS) {
                Thread.sleep(BETWEEN_STALLS_MS);
                stalls.add(stall(stallMs, readinessDuringStalls));
            }
            Thread.sleep(BETWEEN_STALLS_MS);
        } finally {
            clients.stop();
        }
        String during = stack.stdout().substring(stdoutBefore) + stack.stderr().substring(stderrBefore);
        System.out.printf(
                "DatabaseStallIT: %d keys, %d accepted, %d rejected, %d retried, %d unanswered; lease_suspect shed %d%n",
                clients.keys.size(),
                clients.count(Outcome.ACCEPTED),
                clients.count(Outcome.REJECTED),
                clients.keys.values().stream().filter(k -> k.tries > 1).count(),
                clients.count(Outcome.NONE),
                (long) metric(managementPort, "gateway_requests_shed_total{reason=\"lease_suspect\",status=\"503\"}"));

        // Nothing stopped: the stack's JVM, its gateway and its processor all kept running.
        assertThat(stack.isAlive()).as(stack.output()).isTrue();
        assertThat(during).as("no lease lost").doesNotContain("lease LOST");
        assertThat(during).as("no supervisor restart").doesNotContain(StackSupervisor.LOG_PREFIX);
        // Ready again: the processor's provider check remembers the sandbox's failures (it stores
        // its charges in the stalled PostgreSQL) for 30 s, hence the wait.
        assertThat(awaitStatus(gatewayPort, "/health/ready", 200, 60_000)).isEqualTo(200);
        assertThat(awaitStatus(processorPort, "/health/ready", 200, 60_000))
                .as(body(processorPort, "/health/ready"))
                .isEqualTo(200);

        // The stalls were real: the leases went SUSPECT and came back, and the gateway shed new work.
        assertThat(during)
                .contains(
                        "gateway.instanceId=gateway-1 lease SUSPECT", "gateway.instanceId=gateway-1 lease HELD again");
        assertThat(during).contains("processor.instanceId=processor-1 lease SUSPECT");
        assertThat(readinessDuringStalls)
                .as("gateway readiness during the stalls")
                .anyMatch(r -> r.startsWith("gateway ") && r.contains("\"state\":\"SUSPECT\""));
        assertThat(readinessDuringStalls)
                .as("processor readiness during the stalls")
                .anyMatch(r -> r.startsWith("processor ") && r.contains("\"state\":\"SUSPECT\""));
        assertThat(metric(managementPort, "gateway_requests_shed_total{reason=\"lease_suspect\",status=\"503\"}"))
                .isPositive();

        assertAnsweredInTime(clients, stalls);
        assertExactlyOnce(clients);
    }

    /**
     * Ends the gateway's lease session on the server side (as a failover would): the gateway stops,
     * and the stack's supervisor starts it again, with a log line and its count.
     */
    @Test
    void aGatewayWhoseLeaseIsLostIsRestartedByTheStack() throws Exception {
        int restartsBefore = countLines(stack.stdout(), StackSupervisor.LOG_PREFIX + "gateway gateway-1 restarted");
        Vertx vertx = Vertx.vertx();
        try (Pg pg = new Pg(vertx, pgUri())) {
            assertThat(pg.count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            + " WHERE application_name LIKE 'billing gateway gateway-1 pid " + stack.pid() + "@%'"))
                    .isEqualTo(1);
        } finally {
            vertx.close().await();
        }
        assertThat(stack.awaitLine(StackSupervisor.LOG_PREFIX + "gateway gateway-1 stopped by itself", 30_000))
                .as(stack.output())
                .isTrue();
        long deadline = System.currentTimeMillis() + 120_000;
        while (countLines(stack.stdout(), StackSupervisor.LOG_PREFIX + "gateway gateway-1 restarted") == restartsBefore
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        String out = stack.stdout();
        assertThat(countLines(out, StackSupervisor.LOG_PREFIX + "gateway gateway-1 restarted"))
                .as(stack.output())
                .isEqualTo(restartsBefore + 1);
        assertThat(out).contains("lease: the lease connection closed");
        assertThat(stack.isAlive()).isTrue();
        Clients one = new Clients("after-restart-" + Long.toString(System.nanoTime(), 36) + "-");
        Key k = one.pay(one.newKey());
        assertThat(k.status).as("a payment after the restart").isEqualTo(202);
    }

    /** SIGSTOPs every PostgreSQL process for {@code stallMs}, polling the gateway's readiness meanwhile. */
    private static long[] stall(long stallMs, List<String> readiness) throws Exception {
        List<Long> pids = pgPids();
        assertThat(pids).as("postmaster and its children").hasSizeGreaterThan(3);
        long start = System.currentTimeMillis();
        signal("STOP", pids);
        try {
            while (System.currentTimeMillis() - start < stallMs) {
                readiness.add("gateway " + body(managementPort, "/health/ready"));
                readiness.add("processor " + body(processorPort, "/health/ready"));
                Thread.sleep(500);
            }
        } finally {
            signal("CONT", pgPids());
        }
        long end = System.currentTimeMillis();
        System.out.printf("DatabaseStallIT: PostgreSQL (%d processes) stopped for %d ms%n", pids.size(), end - start);
        return new long[] {start, end};
    }

    /**
     * A key's answer is due {@link #ANSWER_AFTER_STALL_MS} after its first try, or after the end of a
     * stall that began before it was answered (a try up to a request timeout before the stall may
     * have been caught in it).
     */
    private static void assertAnsweredInTime(Clients clients, List<long[]> stalls) {
        List<String> late = new ArrayList<>();
        for (Map.Entry<String, Key> e : clients.keys.entrySet()) {
            Key k = e.getValue();
            if (k.outcome == Outcome.NONE) {
                late.add(e.getKey() + ": no definite answer after " + k.tries + " tries (" + k.last + ")");
                continue;
            }
            long dueMs = k.firstTryMs + ANSWER_AFTER_STALL_MS;
            for (long[] s : stalls) {
                if (k.firstTryMs <= s[1] && k.answeredMs >= s[0]) {
                    dueMs = Math.max(dueMs, s[1] + ANSWER_AFTER_STALL_MS);
                }
            }
            if (k.answeredMs > dueMs) {
                late.add(e.getKey() + ": answered " + (k.answeredMs - dueMs) + " ms late after " + k.tries + " tries");
            }
        }
        assertThat(late).as("keys without a definite answer in time").isEmpty();
        assertThat(clients.keys.values()).as("keys retried").anyMatch(k -> k.tries > 1);
    }

    private static void assertExactlyOnce(Clients clients) throws Exception {
        Map<String, Key> accepted = clients.keys.entrySet().stream()
                .filter(e -> e.getValue().outcome == Outcome.ACCEPTED)
                .collect(Collectors.toMap(
                        e -> PaymentIds.paymentId(TenantKeys.DEV_TENANT, e.getKey()), Map.Entry::getValue));
        assertThat(accepted).isNotEmpty();
        Vertx vertx = Vertx.vertx();
        try (Pg pg = new Pg(vertx, pgUri())) {
            // Every accepted payment is decided before counting (the processor caught up after the stalls).
            long decided = awaitDecided(pg, accepted.keySet());
            Map<String, Integer> ledger = countIds(pg.strings("SELECT payment_id FROM payments"));
            Map<String, Integer> charges =
                    countIds(pg.strings("SELECT payment_id FROM sandbox.charges WHERE payment_id IS NOT NULL"));
            Map<String, Integer> billing = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r :
                    TopicReader.readAll("127.0.0.1:" + kafkaPort, Topics.BILLING, true)) {
                billing.merge(r.key(), 1, Integer::sum);
            }
            List<String> wrong = new ArrayList<>();
            for (String id : accepted.keySet()) {
                if (ledger.getOrDefault(id, 0) != 1
                        || charges.getOrDefault(id, 0) != 1
                        || billing.getOrDefault(id, 0) != 1) {
                    wrong.add(id + ": ledger " + ledger.get(id) + ", charges " + charges.get(id) + ", billing events "
                            + billing.get(id));
                }
            }
            // A key answered only 4xx must have left nothing anywhere.
            clients.keys.forEach((key, k) -> {
                String id = PaymentIds.paymentId(TenantKeys.DEV_TENANT, key);
                if (k.outcome == Outcome.REJECTED
                        && (ledger.containsKey(id) || charges.containsKey(id) || billing.containsKey(id))) {
                    wrong.add(id + ": refused " + k.status + " yet present");
                }
            });
            assertThat(wrong)
                    .as("accepted payments not exactly once (" + accepted.size() + " accepted, " + decided
                            + " decided)")
                    .isEmpty();
        } finally {
            vertx.close().await();
        }
    }

    /** Waits until every one of {@code ids} is decided, and returns how many are. */
    private static long awaitDecided(Pg pg, java.util.Set<String> ids) throws InterruptedException {
        String list = ids.stream().map(id -> "'" + id + "'").collect(Collectors.joining(","));
        return pg.awaitCount(
                "SELECT count(*) FROM payments WHERE status IN ('succeeded','failed') AND payment_id IN (" + list + ")",
                ids.size(),
                120_000);
    }

    enum Outcome {
        NONE,
        ACCEPTED,
        REJECTED
    }

    /** One payment's history at its client. */
    static final class Key {
        long firstTryMs;
        long answeredMs;
        int tries;
        int status;
        String last = "";
        volatile Outcome outcome = Outcome.NONE;
    }

    /**
     * {@value #CLIENTS} clients, each paying one key at a time and retrying it (same key, same body)
     * after any answer that is not definite, as a real client does: a 5xx, 409 (in flight), 429, a
     * timeout or a broken connection. Definite: 2xx, or any other 4xx.
     */
    static final class Clients {
        final String prefix;
        final Map<String, Key> keys = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        private int next;

        Clients(String prefix) {
            this.prefix = prefix;
        }

        synchronized String newKey() {
            return prefix + next++;
        }

        void start() {
            running.set(true);
            for (int i = 0; i < CLIENTS; i++) {
                Thread t = new Thread(this::loop, "stall-client-" + i);
                t.start();
                threads.add(t);
            }
        }

        /** Stops taking new keys; each client finishes the key it has (until answered or its deadline). */
        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(KEY_DEADLINE_MS + 10_000);
            }
        }

        long count(Outcome o) {
            return keys.values().stream().filter(k -> k.outcome == o).count();
        }

        private void loop() {
            while (running.get()) {
                pay(newKey());
                try {
                    Thread.sleep(THINK_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Pays {@code key} until a definite answer or {@link #KEY_DEADLINE_MS}. */
        Key pay(String key) {
            Key k = new Key();
            k.firstTryMs = System.currentTimeMillis();
            keys.put(key, k);
            long backoffMs = 100;
            while (System.currentTimeMillis() - k.firstTryMs < KEY_DEADLINE_MS) {
                k.tries++;
                long retryAfterMs = backoffMs;
                try {
                    HttpResponse<String> r = HTTP.send(request(key), HttpResponse.BodyHandlers.ofString());
                    k.status = r.statusCode();
                    k.last = r.statusCode() + " " + r.body();
                    if (definite(r.statusCode())) {
                        k.answeredMs = System.currentTimeMillis();
                        k.outcome = r.statusCode() < 300 ? Outcome.ACCEPTED : Outcome.REJECTED;
                        return k;
                    }
                    retryAfterMs = r.headers()
                            .firstValue("Retry-After")
                            .map(s -> Long.parseLong(s) * 1_000)
                            .orElse(backoffMs);
                } catch (IOException e) {
                    k.last = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return k;
                }
                try {
                    // Retry-After is honoured but capped: a client retries soon after a stall ends.
                    Thread.sleep(Math.min(1_000, Math.max(100, retryAfterMs)));
                } catch (InterruptedException e) {
                    return k;
                }
                backoffMs = Math.min(1_000, backoffMs * 2);
            }
            return k;
        }

        private static boolean definite(int status) {
            return status < 500 && status != 409 && status != 429;
        }

        private HttpRequest request(String key) {
            int amount = 100 + Math.floorMod(key.hashCode(), 10_000);
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1/payments"))
                    .timeout(Duration.ofMillis(REQUEST_TIMEOUT_MS))
                    .header("Authorization", "Bearer " + TenantKeys.devKey())
                    .header("Idempotency-Key", key)
                    .header("Content-Type", "application/json")
                    .POST(
                            HttpRequest.BodyPublishers.ofString(
                                    "{\"amount\":" + amount
                                            + ",\"currency\":\"USD\",\"customer_id\":\"cus_stall\",\"payment_method\":\"pm_card_visa\"}"))
                    .build();
        }
    }

    /** The postmaster of the stack's data directory and every process under it. */
    private static List<Long> pgPids() throws IOException {
        Path pidFile = data.resolve("pg/postmaster.pid");
        if (!Files.exists(pidFile)) {
            return List.of();
        }
        long pm = Long.parseLong(
                Files.readAllLines(pidFile, StandardCharsets.US_ASCII).get(0).trim());
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pm).ifPresent(p -> {
            pids.add(p.pid());
            p.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    private static void signal(String sig, List<Long> pids) throws Exception {
        if (pids.isEmpty()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    private static String pgUri() {
        return "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(get(port, path), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** The status of {@code path} once it is {@code expected}, or the last one after {@code timeoutMs}. */
    private static int awaitStatus(int port, String path, int expected, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        int status = status(port, path);
        while (status != expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            status = status(port, path);
        }
        return status;
    }

    private static String body(int port, String path) {
        try {
            return HTTP.send(get(port, path), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static HttpRequest get(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    /** A series' value on {@code /metrics}; the test fails if the series is absent (never read as 0). */
    private static double metric(int port, String series) throws Exception {
        String scrape = HTTP.send(get(port, "/metrics"), HttpResponse.BodyHandlers.ofString())
                .body();
        return scrape.lines()
                .filter(l -> l.startsWith(series + " "))
                .mapToDouble(
                        l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(series + " is not exported"));
    }

    private static int countLines(String text, String fragment) {
        return (int) text.lines().filter(l -> l.contains(fragment)).count();
    }

    private static Map<String, Integer> countIds(List<String> ids) {
        Map<String, Integer> out = new HashMap<>();
        ids.forEach(id -> out.merge(id, 1, Integer::sum));
        return out;
    }
}
