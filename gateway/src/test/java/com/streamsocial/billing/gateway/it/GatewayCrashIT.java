package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The gateway in its own JVM, SIGKILLed several times while clients send payments and retry each one
 * with its key until it is accepted, then restarted with the same instance id. The reservation
 * timeout is ten minutes, so a key the dead run left reserved can only be accepted in this test if
 * the restarted instance settles it: every key must end accepted, with exactly one billing event. Each
 * kill lands under running load (clients still sending, payments accepted since the kill before), and
 * each restart must have settled reservations its killed run left open.
 *
 * <p>Prints the longest time from a key's first try to its 202 ({@code -Dcrash.reservationTimeoutMs}
 * sets the timeout, to measure without settlement).
 */
class GatewayCrashIT {
    /**
     * The most keys the clients may send. They send until the last kill and then stop, so the number
     * sent does not depend on how fast the gateway is; this bounds the arrays.
     */
    private static final int KEYS_MAX = 200_000;
    /** Clients send at least this many keys, even if the kills are over sooner. */
    private static final int KEYS_MIN = 1_200;

    private static final int CLIENTS = 32;
    private static final int KILLS = 4;
    /**
     * How long a client retries one key before it gives up: half the reservation timeout, so only the
     * restart settlement can get a key accepted in time. A property so that a run with the settlement
     * broken fails in seconds rather than minutes.
     */
    private static final long CLIENT_GIVES_UP_MS = Long.getLong("crash.clientGivesUpMs", 300_000);
    /** What {@link #pay} returns for a key that was never accepted. */
    private static final long GAVE_UP = -1;
    /** A key of the tenant "default", made in this test's PostgreSQL. */
    private static String apiKey;

    @Test
    void sigkilledGatewaysLeaveNoKeyWaitingAndNoDuplicate() throws Exception {
        LocalInfra infra = SharedInfra.get();
        apiKey = TenantKeys.create(infra.pgUri(), "default");
        int port = FreePorts.pick();
        String instance = "gateway-crash-" + Long.toString(System.nanoTime(), 36);
        Map<String, String> props = new HashMap<>();
        props.put("http.port", String.valueOf(port));
        props.put("http.host", "127.0.0.1");
        props.put("gateway.instanceId", instance);
        props.put("gateway.producers", "2");
        props.put("management.port", "0");
        props.put("gateway.reservationTimeoutMs", System.getProperty("crash.reservationTimeoutMs", "600000"));
        props.put("pg.uri", infra.pgUri());
        props.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);

        List<JvmProcess> runs = new ArrayList<>();
        JvmProcess gateway = GatewayProcess.start(props);
        runs.add(gateway);
        assertThat(gateway.awaitLine("listening on", 120_000)).isTrue();

        String base = "http://127.0.0.1:" + port;
        String run = instance + "-";
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AtomicLong conflicts = new AtomicLong();
        AtomicLong unavailable = new AtomicLong();
        AtomicLong accepted = new AtomicLong();
        long[] waitedMs = new long[KEYS_MAX];
        AtomicBoolean killsOver = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Integer>> work = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            // Each client sends keys client, client + CLIENTS, ... until the kills are over and it has
            // sent its share of KEYS_MIN; it returns how many keys it sent. No pause between keys: with
            // every client always waiting on a request, each kill finds reservations open.
            work.add(clients.submit(() -> {
                int k = client;
                for (; k < KEYS_MAX && (k < KEYS_MIN || !killsOver.get()); k += CLIENTS) {
                    waitedMs[k] = pay(http, base, run + k, 100 + k, conflicts, unavailable);
                    if (waitedMs[k] != GAVE_UP) {
                        accepted.incrementAndGet();
                    }
                }
                return (k - client) / CLIENTS;
            }));
        }
        long acceptedAtLastKill = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Thread.sleep(1_500);
            // Each kill under running load: clients still sending, and payments accepted since the last.
            assertThat(work.stream().filter(Future::isDone).count())
                    .as("clients still sending at kill %d", kill)
                    .isLessThan(CLIENTS);
            assertThat(accepted.get())
                    .as("payments accepted between kill %d and the one before", kill)
                    .isGreaterThan(acceptedAtLastKill);
            acceptedAtLastKill = accepted.get();
            gateway.kill();
            gateway = GatewayProcess.start(props);
            runs.add(gateway);
            assertThat(gateway.awaitLine("listening on", 120_000)).isTrue();
        }
        killsOver.set(true);
        // Client c sent keys c, c + CLIENTS, ...: keys below the fewest any client sent times CLIENTS
        // were all sent, and the keys above it are checked per client.
        boolean[] sent = new boolean[KEYS_MAX];
        int keys = 0;
        for (int c = 0; c < CLIENTS; c++) {
            int count = work.get(c).get(CLIENT_GIVES_UP_MS + 60_000, TimeUnit.MILLISECONDS);
            for (int i = 0; i < count; i++) {
                sent[c + i * CLIENTS] = true;
            }
            keys += count;
        }
        clients.shutdown();
        assertThat(keys).as("keys sent").isGreaterThanOrEqualTo(KEYS_MIN).isLessThan(KEYS_MAX);

        // Every restart found reservations its killed run left open, and settled each of them one
        // way: published (its batch had committed) or released.
        long settled = 0;
        for (int r = 1; r < runs.size(); r++) {
            long[] counts = settledCounts(runs.get(r).lines("open reservations of earlier runs:"));
            assertThat(counts[0])
                    .as("reservations open at kill %d, settled by the restart", r)
                    .isPositive();
            assertThat(counts[1] + counts[2])
                    .as("published + released = settled, restart %d", r)
                    .isEqualTo(counts[0]);
            settled += counts[0];
        }
        long longest = 0;
        for (int k = 0; k < KEYS_MAX; k++) {
            if (sent[k]) {
                assertThat(waitedMs[k])
                        .as("key %d is accepted before its client gives up", k)
                        .isNotEqualTo(GAVE_UP);
                longest = Math.max(longest, waitedMs[k]);
            }
        }
        Map<String, Integer> events = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, true)) {
            events.merge(r.key(), 1, Integer::sum);
        }
        for (int k = 0; k < KEYS_MAX; k++) {
            assertThat(events.get(PaymentIds.paymentId("default", run + k)))
                    .as("billing events of key %d", k)
                    .isEqualTo(sent[k] ? 1 : null);
        }
        System.out.printf(
                "GATEWAY CRASH: %d keys, %d SIGKILLs, longest first try to 202: %d ms, 409s: %d, 503s or refused: %d,"
                        + " reservations settled by the restarts: %d%n",
                keys, KILLS, longest, conflicts.get(), unavailable.get(), settled);
        runs.forEach(g -> g.lines("open reservations of earlier runs:").forEach(System.out::println));
        gateway.kill();
    }

    /**
     * The sums over a run's settlement lines ("settled N open reservations of earlier runs: P
     * published, R released"): {N, P, R}.
     */
    private static long[] settledCounts(List<String> lines) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(
                "settled (\\d+) open reservations of earlier runs: (\\d+) published, (\\d+) released");
        long[] sums = new long[3];
        for (String line : lines) {
            java.util.regex.Matcher m = p.matcher(line);
            assertThat(m.find()).as(line).isTrue();
            for (int i = 0; i < 3; i++) {
                sums[i] += Long.parseLong(m.group(i + 1));
            }
        }
        return sums;
    }

    /** Retries one key until it is accepted; returns the time from its first try to the 202. */
    private static long pay(
            HttpClient http, String base, String key, long amount, AtomicLong conflicts, AtomicLong unavailable)
            throws InterruptedException {
        String body = new JsonObject()
                .put("amount", amount)
                .put("currency", "EUR")
                .put("customer_id", "cus_crash")
                .put("payment_method", "pm_card_visa")
                .encode();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long first = System.currentTimeMillis();
        while (System.currentTimeMillis() - first < CLIENT_GIVES_UP_MS) {
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202) {
                    return System.currentTimeMillis() - first;
                }
                if (r.statusCode() == 409) {
                    conflicts.incrementAndGet();
                } else if (r.statusCode() == 503) {
                    unavailable.incrementAndGet();
                } else {
                    throw new AssertionError("unexpected answer for " + key + ": " + r.statusCode() + " " + r.body());
                }
            } catch (java.io.IOException e) {
                unavailable.incrementAndGet(); // the gateway is down: what a client sees during a restart
            }
            Thread.sleep(100);
        }
        return GAVE_UP;
    }
}
