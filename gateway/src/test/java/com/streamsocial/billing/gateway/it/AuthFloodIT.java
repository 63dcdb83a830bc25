package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §3: a flood of random, well-formed API keys beside a real tenant's normal load (20 payments a
 * second), both from one address (127.0.0.1), on the real stack. The tenant gets
 * every payment accepted and never {@code 503 auth_unavailable}; the flood gets {@code 429} after its
 * address's budget of 401s. Rates reached are printed, not asserted (this machine is shared).
 */
class AuthFloodIT {
    private static final int SECONDS = 10;
    private static final int TENANT_PER_S = 20;
    /** Offered flood rate: 100 requests every 10 ms (10,000/s), at most FLOOD_IN_FLIGHT_MAX outstanding. */
    private static final int FLOOD_PER_TICK = 100;

    private static final int FLOOD_IN_FLIGHT_MAX = 1_024;
    private static final int FAILURES_PER_S = 10;
    private static final int FAILURE_BURST = 50;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static int port;
    private static String tenantKey;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        tenantKey = TenantKeys.create(infra.pgUri(), "tenant-flood-" + Long.toString(System.nanoTime(), 36));
        vertx = Vertx.vertx();
        port = FreePorts.pick();
        gateway = Gateway.deploy(
                        vertx,
                        GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                                "http.port", String.valueOf(port),
                                "http.host", "127.0.0.1",
                                "gateway.instanceId", "gateway-auth-flood-it",
                                "gateway.producers", "2",
                                // Short: the tenant's key is looked up again every second, in the flood.
                                "auth.cacheTtlMs", "1000",
                                "auth.failuresPerS", String.valueOf(FAILURES_PER_S),
                                "auth.failureBurst", String.valueOf(FAILURE_BURST),
                                "pg.uri", infra.pgUri(),
                                "kafka.bootstrap.servers", infra.kafkaBootstrap()))),
                        BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aFloodOfRandomKeysIsThrottledAndTheTenantKeepsEveryPayment() throws Exception {
        HttpClient floodClient = vertx.createHttpClient(
                new HttpClientOptions()
                        // The tenant's own address, as behind a NAT or a proxy: the budget must throttle the
                        // flood without locking out the tenant's key when its cache entry expires (1 s).
                        .setLocalAddress("127.0.0.1")
                        .setKeepAlive(true)
                        .setPipelining(true)
                        .setPipeliningLimit(16),
                new PoolOptions().setHttp1MaxSize(64));
        HttpClient tenantClient = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(8));
        Map<Integer, LongAdder> flood = new ConcurrentHashMap<>();
        Map<Integer, LongAdder> tenant = new ConcurrentHashMap<>();
        LongAdder floodOffered = new LongAdder();
        AtomicInteger floodInFlight = new AtomicInteger();
        SecureRandom random = new SecureRandom();
        CountDownLatch tenantDone = new CountDownLatch(SECONDS * TENANT_PER_S);
        // The tenant was here before the flood: its key is known on every event loop (each has its own
        // cache). A key never seen competes with the flood for the address's budget, as any new key must.
        List<Future<Integer>> known = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            known.add(send(
                    tenantClient,
                    HttpMethod.GET,
                    "/v1/payments/" + PaymentIds.paymentId("nobody", "none-" + i),
                    "Bearer " + tenantKey,
                    null,
                    null));
        }
        assertThat(Future.all(known)
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS)
                        .<Integer>list())
                .as("the tenant's key before the flood")
                .containsOnly(404);
        long floodTimer = vertx.setPeriodic(10, id -> {
            for (int i = 0; i < FLOOD_PER_TICK && floodInFlight.get() < FLOOD_IN_FLIGHT_MAX; i++) {
                floodOffered.increment();
                floodInFlight.incrementAndGet();
                send(floodClient, HttpMethod.GET, "/v1/payments/pay_x", "Bearer " + randomKey(random), null, null)
                        .onComplete(ar -> {
                            floodInFlight.decrementAndGet();
                            count(flood, ar.succeeded() ? ar.result() : -1);
                        });
            }
        });
        AtomicInteger sent = new AtomicInteger();
        String run = Long.toString(System.nanoTime(), 36);
        long t0 = System.nanoTime();
        long tenantTimer = vertx.setPeriodic(1_000 / TENANT_PER_S, id -> {
            int n = sent.getAndIncrement();
            if (n >= SECONDS * TENANT_PER_S) {
                return;
            }
            String body = new JsonObject()
                    .put("amount", 100 + n)
                    .put("currency", "EUR")
                    .put("customer_id", "cus_flood")
                    .put("payment_method", "pm_card_visa")
                    .encode();
            send(tenantClient, HttpMethod.POST, "/v1/payments", "Bearer " + tenantKey, "flood-" + run + "-" + n, body)
                    .onComplete(ar -> {
                        count(tenant, ar.succeeded() ? ar.result() : -1);
                        tenantDone.countDown();
                    });
        });
        boolean done = tenantDone.await(SECONDS + 60, TimeUnit.SECONDS);
        vertx.cancelTimer(floodTimer);
        vertx.cancelTimer(tenantTimer);
        double elapsedS = (System.nanoTime() - t0) / 1e9;
        // The flood's last requests are answered before the counts are compared with the counter.
        for (int i = 0; i < 300 && floodInFlight.get() > 0; i++) {
            Thread.sleep(100);
        }
        long floodAnswered = flood.values().stream().mapToLong(LongAdder::sum).sum();
        System.out.printf(
                "AuthFloodIT: flood offered %.0f/s, answered %.0f/s over %.1f s: %s; tenant: %s%n",
                floodOffered.sum() / elapsedS, floodAnswered / elapsedS, elapsedS, flood, tenant);
        String scrape = gateway.metrics().scrape();
        floodClient.close();
        tenantClient.close();

        assertThat(done).as("every tenant request answered").isTrue();
        assertThat(tenant.keySet()).as("tenant statuses %s", tenant).containsExactly(202);
        assertThat(tenant.get(202).sum()).isEqualTo(SECONDS * TENANT_PER_S);
        // The address's budget: the burst and the rate over the run (and a second of slack), no more.
        long budget = FAILURE_BURST + (long) Math.ceil((elapsedS + 1) * FAILURES_PER_S);
        assertThat(sum(flood, 401)).as("401s to the flood, budget %d", budget).isBetween(1L, budget);
        assertThat(sum(flood, 429)).as("flood statuses %s", flood).isPositive();
        assertThat(flood.keySet()).as("flood statuses %s", flood).containsOnly(401, 429);
        assertThat(scrape)
                .containsPattern("(?m)^gateway_requests_shed_total\\{reason=\"auth_throttled\",status=\"429\"} "
                        + sum(flood, 429) + "(\\.0)?$")
                .containsPattern(
                        "(?m)^gateway_requests_shed_total\\{reason=\"auth_unavailable\",status=\"503\"} 0(\\.0)?$");
    }

    private static Future<Integer> send(
            HttpClient client, HttpMethod method, String path, String auth, String idempotencyKey, String body) {
        RequestOptions o = new RequestOptions()
                .setMethod(method)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI(path)
                .putHeader("Authorization", auth);
        if (idempotencyKey != null) {
            o.putHeader("Idempotency-Key", idempotencyKey).putHeader("Content-Type", "application/json");
        }
        return client.request(o)
                .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    private static String randomKey(SecureRandom random) {
        StringBuilder b = new StringBuilder("sk_live_");
        for (int i = 0; i < 43; i++) {
            b.append(BASE62.charAt(random.nextInt(62)));
        }
        return b.toString();
    }

    private static void count(Map<Integer, LongAdder> m, int status) {
        m.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    private static long sum(Map<Integer, LongAdder> m, int status) {
        LongAdder a = m.get(status);
        return a == null ? 0 : a.sum();
    }
}
