package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §5, on a real gateway with real Kafka and PostgreSQL: one tenant floods, keeping far more
 * payments outstanding than the lane's queue holds, while another sends its ordinary payments one
 * at a time. The per-tenant rates are set out of the way, so what protects the quiet tenant is the
 * fair share of the lane's queue ({@code limit.QueueShares}).
 *
 * <p>The stated bound: every one of the quiet tenant's payments is accepted ({@code 202}, a success
 * rate of 100 %), the queue never overflows (no {@code 503 queue_full} for anyone), and the flood's
 * excess gets {@code 429 queue-share-exceeded} with {@code Retry-After}, each counted.
 */
class TenantFairnessIT {
    /** A small lane: the flood fills it many times over, and the test stays short. */
    private static final int QUEUE_RECORDS_MAX = 64;

    private static final int BATCH_RECORDS_MAX = 8;
    /** The flood's payments outstanding at any time: four times the lane's queue. */
    private static final int FLOOD_OUTSTANDING = 4 * QUEUE_RECORDS_MAX;

    private static final int QUIET_PAYMENTS = 200;

    private static final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Vertx vertx;
    private static Gateway gateway;
    private static String base;
    private static String keyFlood;
    private static String keyQuiet;

    @BeforeAll
    static void start() throws Exception {
        LocalInfra infra = SharedInfra.get();
        long n = System.nanoTime();
        keyFlood = TenantKeys.create(infra.pgUri(), "fair-flood-" + n);
        keyQuiet = TenantKeys.create(infra.pgUri(), "fair-quiet-" + n);
        vertx = Vertx.vertx();
        int port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-fairness-it");
        s.put("gateway.producers", "1");
        s.put("gateway.queueRecordsMax", String.valueOf(QUEUE_RECORDS_MAX));
        s.put("gateway.batchRecordsMax", String.valueOf(BATCH_RECORDS_MAX));
        // Out of the way: the rates and the address budget are other tests' defences.
        s.put("limits.tenantWritesPerS", "1000000");
        s.put("limits.tenantWriteBurst", "1000000");
        s.put("auth.failuresPerS", "1000000");
        s.put("auth.failureBurst", "1000000");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        gateway = Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + port;
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpRequest payment(String apiKey, String customer, String idempotencyKey) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", idempotencyKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                        .put("amount", 100)
                        .put("currency", "EUR")
                        .put("customer_id", customer)
                        .put("payment_method", "pm_card_visa")
                        .encode()))
                .build();
    }

    @Test
    void aFloodingTenantGets429sForItsExcessAndTheQuietTenantKeepsEveryPayment() throws Exception {
        String run = "fair-" + Long.toString(System.nanoTime(), 36) + "-";
        Map<Integer, Integer> floodStatuses = new ConcurrentHashMap<>();
        AtomicInteger floodWithoutRetryAfter = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread flood = new Thread(() -> flood(run, floodStatuses, floodWithoutRetryAfter, stop), "flood");
        flood.start();
        Map<Integer, Integer> quietStatuses = new HashMap<>();
        try {
            // The flood first fills its share, then the quiet tenant pays, one payment at a time.
            awaitFloodRefused(floodStatuses);
            for (int i = 0; i < QUIET_PAYMENTS; i++) {
                HttpResponse<String> r = http.send(
                        payment(keyQuiet, "cus_fair_quiet", run + "quiet-" + i), HttpResponse.BodyHandlers.ofString());
                quietStatuses.merge(r.statusCode(), 1, Integer::sum);
            }
        } finally {
            stop.set(true);
            flood.join(TimeUnit.SECONDS.toMillis(120));
        }
        System.out.println("TenantFairnessIT: quiet " + quietStatuses + ", flood " + floodStatuses);
        assertThat(quietStatuses).as("the quiet tenant's answers").isEqualTo(Map.of(202, QUIET_PAYMENTS));
        assertThat(floodStatuses.keySet()).as(floodStatuses.toString()).containsOnly(202, 429);
        assertThat(floodWithoutRetryAfter.get())
                .as("flood 429s without Retry-After")
                .isZero();
        assertThat(Series.counter(gateway.metrics(), "gateway.requests.shed", "reason", "queue_share"))
                .isEqualTo((double) floodStatuses.get(429));
        assertThat(Series.counter(gateway.metrics(), "gateway.requests.shed", "reason", "queue_full"))
                .as("the lane's queue never overflowed")
                .isZero();
    }

    /** Waits, by answers not by time, until the flood is refused: its first 429 (or, without shares, 503). */
    private static void awaitFloodRefused(Map<Integer, Integer> floodStatuses) throws InterruptedException {
        for (int i = 0; i < 6_000 && !floodStatuses.containsKey(429) && !floodStatuses.containsKey(503); i++) {
            Thread.sleep(10);
        }
        assertThat(floodStatuses.keySet()).as("the flood was refused").containsAnyOf(429, 503);
    }

    /** Keeps {@link #FLOOD_OUTSTANDING} payments outstanding until {@code stop}, counting each answer. */
    private static void flood(
            String run, Map<Integer, Integer> statuses, AtomicInteger withoutRetryAfter, AtomicBoolean stop) {
        Semaphore outstanding = new Semaphore(FLOOD_OUTSTANDING);
        int sent = 0;
        try {
            while (!stop.get()) {
                outstanding.acquire();
                http.sendAsync(
                                payment(keyFlood, "cus_fair_flood", run + "flood-" + sent++),
                                HttpResponse.BodyHandlers.ofString())
                        .whenComplete((r, e) -> {
                            outstanding.release();
                            int status = r == null ? -1 : r.statusCode();
                            statuses.merge(status, 1, Integer::sum);
                            if (status == 429
                                    && r.headers().firstValue("Retry-After").isEmpty()) {
                                withoutRetryAfter.incrementAndGet();
                            }
                        });
            }
            outstanding.acquire(FLOOD_OUTSTANDING);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
