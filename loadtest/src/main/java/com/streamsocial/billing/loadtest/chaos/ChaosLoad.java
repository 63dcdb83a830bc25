package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.loadtest.CustomerIds;
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
 * {@link Answer} is kept for the verification pass. Without {@link #retrying}: a 2xx is accepted, a
 * 4xx or a refused connection is rejected, anything else (a broken connection, a timeout, a 5xx) is
 * unknown. With it, the load behaves as a real client: every answer that is not definite (a 5xx, a
 * 409 or 429, a timeout, a broken or refused connection, a 2xx whose body could not be read) is
 * retried with the same Idempotency-Key, on the next gateway, with a jittered exponential backoff,
 * until a definite answer (a 2xx: accepted; another 4xx: rejected) or the deadline: then it stays
 * unknown. Runs on one Vert.x context; the answers and counters are safe to read from other threads.
 * Public for the tests that count what a stack kept through its restarts (StackRestartIT).
 */
public final class ChaosLoad {
    /** Requests unanswered after this long count as unknown (and are retried when retrying). */
    static final long REQUEST_TIMEOUT_MS = 30_000;
    /** Payments not yet decided at most (in flight or waiting to retry); one due beyond it is not sent. */
    static final int OUTSTANDING_MAX = 4_096;
    /** HTTP connections per gateway, at most. */
    static final int CONNECTIONS_PER_GATEWAY = 32;
    /** The first retry's backoff; it doubles with each try up to {@link #RETRY_BACKOFF_MAX_MS}, jittered. */
    static final long RETRY_BACKOFF_MIN_MS = 100;

    static final long RETRY_BACKOFF_MAX_MS = 2_000;

    private static final long TICK_MS = 5;
    private static final long LATENCY_MAX_MICROS = 3_600_000_000L;

    /**
     * What the client knows of one payment: when it was due and when its last try was sent (seconds
     * from the start of the load), how many tries, its answer so far, and whether it is done (a
     * definite answer, or no retry left: an unknown answer past the deadline).
     */
    public record Client(double intendedS, double lastTryS, int tries, Answer answer, boolean done) {}

    private final Vertx vertx;
    private final Context context;
    private final List<HttpClient> clients = new ArrayList<>();
    private final double rate;
    private final String keyPrefix;
    private final String tenant;
    private final String apiKey;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, Client> clientViews = new ConcurrentHashMap<>();
    private final List<Double> unsentIntendedS = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicLongArray lastAcceptedNanos;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong unsent = new AtomicLong();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final Histogram latencyMicros = new Histogram(LATENCY_MAX_MICROS, 3);
    private final java.util.Random jitter = new java.util.Random(1);
    private volatile int outstanding;
    private volatile boolean stopped;
    /** Told of each accepted payment (its id and amount), on the load's context; the refund mix feeds on it. */
    private volatile java.util.function.BiConsumer<String, Long> onAccepted = (id, amount) -> {};

    private volatile boolean givenUp;
    private long retryDeadlineMs;
    private long timer = -1;
    private volatile long startNanos;
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

    /** Retries every answer that is not definite until {@code deadlineMs} after the payment was due. Before start. */
    public ChaosLoad retrying(long deadlineMs) {
        this.retryDeadlineMs = deadlineMs;
        return this;
    }

    /** Tells {@code listener} of every payment answered 2xx: its id and amount (minor units). Before start. */
    public ChaosLoad onAccepted(java.util.function.BiConsumer<String, Long> listener) {
        this.onAccepted = listener;
        return this;
    }

    /** The amount (minor units) of the payment with sequence number {@code seq}. */
    static long amountOf(long seq) {
        return 100 + seq % 10_000;
    }

    public void start() {
        context.runOnContext(v -> {
            startNanos = System.nanoTime();
            timer = vertx.setPeriodic(TICK_MS, id -> tick());
        });
    }

    /** Stops sending new payments; answers and retries go on until {@link #awaitAnswers}. */
    public void stop() {
        stopped = true;
        context.runOnContext(v -> {
            vertx.cancelTimer(timer);
            stopNanos = System.nanoTime();
        });
    }

    /**
     * Waits until every payment is done (decided, or out of retries), at most the retry deadline plus
     * one request timeout; then stops retrying and returns the ids not done (sorted), still in flight
     * or waiting to retry: nothing is given up silently.
     */
    public List<String> awaitAnswers() throws InterruptedException {
        long deadline = System.currentTimeMillis() + answersWaitMs();
        while (outstanding > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        givenUp = true;
        List<String> open = new ArrayList<>();
        clientViews.forEach((id, c) -> {
            if (!c.done()) {
                open.add(id);
            }
        });
        open.sort(null);
        return open;
    }

    /** The longest wait for the answers after the stop: the retry deadline plus one request's timeout. */
    public long answersWaitMs() {
        return retryDeadlineMs + REQUEST_TIMEOUT_MS + 5_000;
    }

    private void tick() {
        long due = (long) ((System.nanoTime() - startNanos) / 1e9 * rate);
        while (nextSeq < due) {
            long seq = nextSeq++;
            long intended = startNanos + (long) (seq * 1e9 / rate);
            if (outstanding >= OUTSTANDING_MAX) {
                unsent.incrementAndGet();
                unsentIntendedS.add(seconds(intended));
                continue;
            }
            String key = keyPrefix + seq;
            String id = PaymentIds.paymentId(tenant, key);
            answers.put(id, Answer.UNKNOWN);
            outstanding++;
            send(seq, id, intended, 1);
        }
    }

    private double seconds(long nanos) {
        return (nanos - startNanos) / 1e9;
    }

    private void send(long seq, String id, long intendedNanos, int tries) {
        int g = (int) ((seq + tries - 1) % clients.size());
        clientViews.put(
                id, new Client(seconds(intendedNanos), seconds(System.nanoTime()), tries, answers.get(id), false));
        Buffer body = Buffer.buffer("{\"amount\":" + amountOf(seq)
                + ",\"currency\":\"USD\",\"customer_id\":\"" + CustomerIds.of(tenant, seq % 1_000)
                + "\",\"payment_method\":\"pm_card_visa\",\"description\":\"chaos " + seq + "\"}");
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/v1/payments")
                .putHeader("Idempotency-Key", keyPrefix + seq)
                .putHeader("Content-Type", "application/json")
                .putHeader("Authorization", "Bearer " + apiKey)
                .setTimeout(REQUEST_TIMEOUT_MS);
        clients.get(g)
                .request(ro)
                .compose(req -> req.send(body))
                .compose(resp -> resp.end().map(v -> resp))
                .onComplete(ar -> {
                    if (givenUp) {
                        return; // The verification has begun: what it counted as undecided stays so.
                    }
                    Answer a;
                    if (ar.failed()) {
                        // Refused before anything was sent: the gateway never saw it. Anything else
                        // (broken, timed out, a 2xx whose body could not be read) may have reached it.
                        boolean refused = refused(ar.cause());
                        if (refused) {
                            refusedConnections.incrementAndGet();
                        }
                        a = refused && retryDeadlineMs == 0 ? Answer.REJECTED : Answer.UNKNOWN;
                    } else {
                        a = classify(ar.result().statusCode());
                    }
                    if (a == Answer.UNKNOWN && retryDeadlineMs > 0 && !pastDeadline(intendedNanos)) {
                        retry(seq, id, intendedNanos, tries);
                        return;
                    }
                    decide(seq, id, g, a, intendedNanos, tries);
                });
    }

    /** A 2xx (first acceptance or replay) is accepted; 409 (in flight) and 429 are not definite; other 4xx refuse. */
    private Answer classify(int code) {
        if (code >= 200 && code < 300) {
            return Answer.ACCEPTED;
        }
        if (code >= 400 && code < 500 && (retryDeadlineMs == 0 || (code != 409 && code != 429))) {
            return Answer.REJECTED;
        }
        // 5xx: the gateway may still publish it (a 503 after a commit timeout does).
        return Answer.UNKNOWN;
    }

    private boolean pastDeadline(long intendedNanos) {
        return System.nanoTime() - intendedNanos >= retryDeadlineMs * 1_000_000;
    }

    private void retry(long seq, String id, long intendedNanos, int tries) {
        retries.incrementAndGet();
        long backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_MIN_MS << Math.min(tries - 1, 10));
        long delayMs = Math.max(1, backoffMs / 2 + (long) (jitter.nextDouble() * backoffMs / 2));
        vertx.setTimer(delayMs, t -> {
            if (!givenUp) {
                send(seq, id, intendedNanos, tries + 1);
            }
        });
    }

    private void decide(long seq, String id, int g, Answer a, long intendedNanos, int tries) {
        outstanding--;
        answers.put(id, a);
        Client before = clientViews.get(id);
        clientViews.put(id, new Client(seconds(intendedNanos), before.lastTryS(), tries, a, true));
        if (a == Answer.ACCEPTED) {
            accepted.incrementAndGet();
            lastAcceptedNanos.set(g, System.nanoTime());
            latencyMicros.recordValue(
                    Math.min(LATENCY_MAX_MICROS, Math.max(0, (System.nanoTime() - intendedNanos) / 1_000)));
            onAccepted.accept(id, amountOf(seq));
        }
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

    /** Whether {@link #stop} was called: the refund mix then starts no new plan or step either. */
    boolean stopped() {
        return stopped;
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

    /** Payments not done yet: in flight or waiting to retry. */
    public int outstanding() {
        return outstanding;
    }

    /** Retries sent, in all. */
    long retries() {
        return retries.get();
    }

    /** What the client knows of each payment it sent. */
    Map<String, Client> clients() {
        return Map.copyOf(clientViews);
    }

    /** Every payment due, sent or not: when it was due (seconds from the start), and whether it ended 2xx. */
    List<ChaosChecks.Offer> offers() {
        List<ChaosChecks.Offer> out = new ArrayList<>();
        clientViews.values().forEach(c -> out.add(new ChaosChecks.Offer(c.intendedS(), c.answer() == Answer.ACCEPTED)));
        synchronized (unsentIntendedS) {
            unsentIntendedS.forEach(s -> out.add(new ChaosChecks.Offer(s, false)));
        }
        return out;
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
