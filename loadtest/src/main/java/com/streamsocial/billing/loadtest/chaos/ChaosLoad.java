package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * The chaos run's open-loop load: new payments at a fixed rate, round-robin over the gateways, each
 * with a fresh Idempotency-Key, sent at its intended time whatever the answers do. Every payment's
 * {@link Answer} is kept for the verification pass: 202 is accepted, a 4xx or a refused connection is
 * rejected, anything else (a broken connection, a timeout, a 5xx) is unknown. Runs on one Vert.x
 * context; the answers and counters are safe to read from other threads. Public for the tests that
 * count what a stack kept through its restarts (StackRestartIT).
 */
public final class ChaosLoad {
    /** Requests unanswered after this long count as unknown. */
    static final long REQUEST_TIMEOUT_MS = 30_000;
    /** Requests in flight at most; one due beyond it is not sent (counted as unsent, not in the answers). */
    static final int OUTSTANDING_MAX = 4_096;
    /** HTTP connections per gateway, at most. */
    static final int CONNECTIONS_PER_GATEWAY = 32;

    private static final long TICK_MS = 5;
    private static final long LATENCY_MAX_MICROS = 3_600_000_000L;

    private final Vertx vertx;
    private final Context context;
    private final List<HttpClient> clients = new ArrayList<>();
    private final double rate;
    private final String keyPrefix;
    private final String tenant;
    private final String apiKey;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final AtomicLongArray lastAcceptedNanos;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong unsent = new AtomicLong();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final Histogram latencyMicros = new Histogram(LATENCY_MAX_MICROS, 3);
    private volatile int outstanding;
    private long timer = -1;
    private long startNanos;
    private long stopNanos;
    private long nextSeq;

    public ChaosLoad(
            Vertx vertx, List<Integer> gatewayPorts, double rate, String keyPrefix, String tenant, String apiKey) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.rate = rate;
        this.keyPrefix = keyPrefix;
        this.tenant = tenant;
        this.apiKey = apiKey;
        this.lastAcceptedNanos = new AtomicLongArray(gatewayPorts.size());
        for (int port : gatewayPorts) {
            clients.add(vertx.createHttpClient(
                    new HttpClientOptions()
                            .setDefaultHost("127.0.0.1")
                            .setDefaultPort(port)
                            .setKeepAlive(true)
                            .setConnectTimeout(2_000),
                    new PoolOptions().setHttp1MaxSize(CONNECTIONS_PER_GATEWAY).setMaxWaitQueueSize(OUTSTANDING_MAX)));
        }
    }

    public void start() {
        context.runOnContext(v -> {
            startNanos = System.nanoTime();
            timer = vertx.setPeriodic(TICK_MS, id -> tick());
        });
    }

    /** Stops sending; answers still arrive until {@link #awaitAnswers}. */
    public void stop() {
        context.runOnContext(v -> {
            vertx.cancelTimer(timer);
            stopNanos = System.nanoTime();
        });
    }

    /** Waits until every sent request is answered or timed out. */
    public void awaitAnswers() throws InterruptedException {
        long deadline = System.currentTimeMillis() + REQUEST_TIMEOUT_MS + 5_000;
        while (outstanding > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
    }

    private void tick() {
        long due = (long) ((System.nanoTime() - startNanos) / 1e9 * rate);
        while (nextSeq < due) {
            long seq = nextSeq++;
            long intended = startNanos + (long) (seq * 1e9 / rate);
            if (outstanding >= OUTSTANDING_MAX) {
                unsent.incrementAndGet();
                continue;
            }
            send(seq, intended);
        }
    }

    private void send(long seq, long intendedNanos) {
        int g = (int) (seq % clients.size());
        String key = keyPrefix + seq;
        String id = PaymentIds.paymentId(tenant, key);
        answers.put(id, Answer.UNKNOWN);
        outstanding++;
        Buffer body = Buffer.buffer("{\"amount\":" + (100 + seq % 10_000)
                + ",\"currency\":\"USD\",\"customer_id\":\"cus_" + (seq % 1_000)
                + "\",\"payment_method\":\"pm_card_visa\",\"description\":\"chaos " + seq + "\"}");
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/v1/payments")
                .putHeader("Idempotency-Key", key)
                .putHeader("Content-Type", "application/json")
                .putHeader("Authorization", "Bearer " + apiKey)
                .setTimeout(REQUEST_TIMEOUT_MS);
        clients.get(g)
                .request(ro)
                .compose(req -> req.send(body))
                .compose(resp -> resp.end().map(v -> resp))
                .onComplete(ar -> {
                    outstanding--;
                    if (ar.failed()) {
                        // Refused before anything was sent: the gateway never saw it. Anything else may
                        // have reached it.
                        if (refused(ar.cause())) {
                            refusedConnections.incrementAndGet();
                            answers.put(id, Answer.REJECTED);
                        } else {
                            answers.put(id, Answer.UNKNOWN);
                        }
                        return;
                    }
                    int code = ar.result().statusCode();
                    boolean replay = "true".equals(ar.result().getHeader("Idempotent-Replayed"));
                    if (code == 202 && !replay) {
                        answers.put(id, Answer.ACCEPTED);
                        accepted.incrementAndGet();
                        lastAcceptedNanos.set(g, System.nanoTime());
                        latencyMicros.recordValue(
                                Math.min(LATENCY_MAX_MICROS, Math.max(0, (System.nanoTime() - intendedNanos) / 1_000)));
                    } else if (code >= 400 && code < 500) {
                        answers.put(id, Answer.REJECTED);
                    } else {
                        // 5xx: the gateway may still publish it (a 503 after a commit timeout does).
                        answers.put(id, Answer.UNKNOWN);
                    }
                });
    }

    private static boolean refused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    public Map<String, Answer> answers() {
        return answers;
    }

    public long accepted() {
        return accepted.get();
    }

    /** Requests whose connection was refused (the gateway was down): counted as rejected. */
    public long refusedConnections() {
        return refusedConnections.get();
    }

    long unsent() {
        return unsent.get();
    }

    long lastAcceptedNanos(int gateway) {
        return lastAcceptedNanos.get(gateway);
    }

    /** Accepted per second over the sending time. */
    double acceptedPerSecond() {
        long end = stopNanos == 0 ? System.nanoTime() : stopNanos;
        return accepted.get() / Math.max(1e-9, (end - startNanos) / 1e9);
    }

    /** Latency of the accepted answers at {@code p}, in milliseconds, from the intended send time. */
    double acceptedLatencyMs(double p) {
        return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
    }

    public void close() {
        clients.forEach(c -> c.close());
    }
}
