package com.streamsocial.billing.loadtest.harness;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.loadtest.CustomerIds;
import com.streamsocial.billing.loadtest.harness.Mix.Kind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The open-loop load generator: sends requests at their {@link Schedule}d times over a bounded Vert.x
 * HTTP connection pool, whatever the answers do, and measures each answer from its intended send time
 * into an HdrHistogram. At most {@code outstandingMax} requests are in flight or waiting for a
 * connection; a request due while that many are outstanding is not sent and is counted as unsent.
 *
 * <p>Everything but the outcome reader runs on one Vert.x event-loop context, so its state needs no
 * locks. A run is made of phases (one for {@code run}, one per step for {@code max}) over the same
 * connections, counters and accepted ids.
 */
public final class OpenLoop implements AutoCloseable {
    /** Requests unanswered after this long fail with a timeout (counted as transport errors). */
    public static final long REQUEST_TIMEOUT_MS = 30_000;
    /** How many recently accepted payments retries and conflicts pick their key from. */
    public static final int RECENT_KEYS_MAX = 1_024;
    /** Latency histograms track up to this value; anything slower is clamped to it. */
    public static final long LATENCY_MAX_MICROS = 3_600_000_000L;
    /** Progress samples closer together than this are merged into the next one. */
    private static final long SAMPLE_NANOS_MIN = 500_000_000L;

    public record Options(
            URI url,
            int connections,
            int outstandingMax,
            Mix mix,
            String keyPrefix,
            String tenant,
            long seed,
            String apiKey) {
        public Options {
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalArgumentException("an API key is required");
            }
            Check.argument(connections > 0, "connections must be positive");
            Check.argument(outstandingMax > 0, "outstanding maximum must be positive");
        }
    }

    /** What one phase measured. Statuses are keyed {@code 202}, {@code 409}, ... and {@code error}. */
    public record PhaseResult(
            double rate,
            double seconds,
            double elapsedSeconds,
            long scheduled,
            long sent,
            long answered,
            long unsent,
            long expected,
            long unexpected,
            long transportErrors,
            Histogram latencyMicros,
            Map<String, Long> statuses,
            Map<String, long[]> byKind,
            List<Sample> samples,
            long lagAtStart,
            long lagAtEnd,
            List<String> unexpectedExamples) {

        /** Answers per second, over the time from the first intended send to the last answer. */
        public double answeredPerSecond() {
            return answered / Math.max(seconds, elapsedSeconds);
        }

        public long errors() {
            return unexpected + transportErrors + unsent;
        }

        public double percentileMs(double p) {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
        }
    }

    private record RecentKey(String key, long seq, String paymentMethod) {}

    private static final int UNEXPECTED_EXAMPLES_MAX = 20;

    private final Vertx vertx;
    private final Context context;
    private final Options o;
    private final OutcomeCounter outcomes;
    private final HttpClient client;
    private final SplittableRandom random;
    private final List<String> acceptedIds = new ArrayList<>();
    private final RecentKey[] recent = new RecentKey[RECENT_KEYS_MAX];
    private long recentCount;
    private long nextSeq;
    private int outstanding;
    private long trackingRefused;
    private final long runStartNanos = System.nanoTime();

    // Per phase, reset by runPhase.
    private Histogram total;
    private Histogram interval;
    private long sent;
    private long answered;
    private long unsent;
    private long expected;
    private long unexpected;
    private long transportErrors;
    private Map<String, Long> statuses;
    private Map<String, Long> intervalStatuses;
    private Map<Kind, long[]> byKind;
    private List<String> unexpectedExamples;
    private long intervalSent;
    private long intervalAnswered;
    private long intervalUnsent;

    public OpenLoop(Vertx vertx, Options o, OutcomeCounter outcomes) {
        this.vertx = vertx;
        this.o = o;
        this.outcomes = outcomes;
        this.context = vertx.getOrCreateContext();
        this.random = new SplittableRandom(o.seed());
        int port = o.url().getPort() > 0 ? o.url().getPort() : 80;
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setDefaultHost(o.url().getHost())
                        .setDefaultPort(port)
                        .setKeepAlive(true)
                        .setConnectTimeout(5_000)
                        .setIdleTimeout(60),
                new PoolOptions().setHttp1MaxSize(o.connections()).setMaxWaitQueueSize(o.outstandingMax()));
    }

    /**
     * One {@code GET /health/ready} before the clock starts: proves the gateway answers, and loads and
     * warms the client's classes so that the first scheduled second does not pay for them.
     */
    public Future<Integer> preflight() {
        Promise<Integer> p = Promise.promise();
        context.runOnContext(v -> client.request(new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setURI("/health/ready")
                        .setTimeout(10_000))
                .compose(req -> req.send())
                .compose(resp -> resp.end().map(x -> resp.statusCode()))
                .onComplete(p));
        return p.future();
    }

    /** Payments accepted (first 202, not a replay), in the order their answers arrived. */
    public List<String> acceptedIds() {
        return acceptedIds;
    }

    public long accepted() {
        return acceptedIds.size();
    }

    /** Processing lag: accepted minus their committed outcomes; -1 without an outcome reader. */
    public long lag() {
        return outcomes == null ? -1 : accepted() - outcomes.count();
    }

    /** Payments whose outcome could not be tracked because {@link OutcomeCounter#TRACKED_IDS_MAX} was reached. */
    public long trackingRefused() {
        return trackingRefused;
    }

    /**
     * Sends at {@code rate} for {@code seconds}, printing a progress line to {@code progress} every
     * second, and completes once every sent request is answered or timed out.
     */
    public Future<PhaseResult> runPhase(double rate, double seconds, Consumer<String> progress, List<Sample> samples) {
        Promise<PhaseResult> done = Promise.promise();
        context.runOnContext(v -> {
            try {
                startPhase(rate, seconds, progress, samples, done);
            } catch (RuntimeException e) {
                done.tryFail(e);
            }
        });
        return done.future();
    }

    private void startPhase(
            double rate, double seconds, Consumer<String> progress, List<Sample> samples, Promise<PhaseResult> done) {
        total = new Histogram(LATENCY_MAX_MICROS, 3);
        interval = new Histogram(LATENCY_MAX_MICROS, 3);
        sent = answered = unsent = expected = unexpected = transportErrors = 0;
        statuses = new TreeMap<>();
        intervalStatuses = new TreeMap<>();
        byKind = new EnumMap<>(Kind.class);
        unexpectedExamples = new ArrayList<>();
        intervalSent = intervalAnswered = intervalUnsent = 0;
        long lagAtStart = lag();
        List<Sample> phaseSamples = new ArrayList<>();
        long now = System.nanoTime();
        Schedule schedule = new Schedule(now, rate, (long) (seconds * 1e9));
        long[] next = {0};
        long[] lastSample = {now, outcomes == null ? 0 : outcomes.count()};
        long sampler = vertx.setPeriodic(1_000, id -> {
            if (System.nanoTime() - lastSample[0] < SAMPLE_NANOS_MIN) {
                // A periodic timer fires its missed runs at once after a stall: one sample covers them.
                return;
            }
            Sample s = sample(lastSample);
            phaseSamples.add(s);
            samples.add(s);
            progress.accept(s.progressLine());
        });
        // The pacer hands the schedule's total over exactly once, so the phase ends once.
        new Pacer("open-loop-pacer", schedule, context, due -> {
            while (next[0] < due) {
                long i = next[0]++;
                if (outstanding >= o.outstandingMax()) {
                    unsent++;
                    intervalUnsent++;
                    continue;
                }
                dispatch(o.mix().pick(random.nextLong()), schedule.intendedNanos(i));
            }
            if (next[0] >= schedule.total()) {
                awaitOutstanding(() -> finishPhase(
                        rate,
                        seconds,
                        schedule,
                        sampler,
                        lastSample,
                        progress,
                        samples,
                        phaseSamples,
                        lagAtStart,
                        done));
            }
        });
    }

    private void finishPhase(
            double rate,
            double seconds,
            Schedule schedule,
            long sampler,
            long[] lastSample,
            Consumer<String> progress,
            List<Sample> samples,
            List<Sample> phaseSamples,
            long lagAtStart,
            Promise<PhaseResult> done) {
        vertx.cancelTimer(sampler);
        Sample last = sample(lastSample);
        if (last.intervalSeconds() > 0.05) {
            phaseSamples.add(last);
            samples.add(last);
            progress.accept(last.progressLine());
        }
        Map<String, long[]> kinds = new TreeMap<>();
        byKind.forEach((k, c) -> kinds.put(k.label, c.clone()));
        done.complete(new PhaseResult(
                rate,
                seconds,
                (System.nanoTime() - schedule.startNanos()) / 1e9,
                schedule.total(),
                sent,
                answered,
                unsent,
                expected,
                unexpected,
                transportErrors,
                total,
                Map.copyOf(statuses),
                kinds,
                phaseSamples,
                lagAtStart,
                lag(),
                List.copyOf(unexpectedExamples)));
    }

    private void awaitOutstanding(Runnable then) {
        if (outstanding == 0) {
            then.run();
        } else {
            vertx.setTimer(5, t -> awaitOutstanding(then));
        }
    }

    private Sample sample(long[] last) {
        long now = System.nanoTime();
        long outcomesNow = outcomes == null ? 0 : outcomes.count();
        Sample s = new Sample(
                (now - runStartNanos) / 1e9,
                (now - last[0]) / 1e9,
                intervalSent,
                intervalAnswered,
                intervalUnsent,
                outcomesNow - last[1],
                interval.getTotalCount() == 0 ? Double.NaN : interval.getValueAtPercentile(50) / 1000.0,
                interval.getTotalCount() == 0 ? Double.NaN : interval.getValueAtPercentile(99) / 1000.0,
                interval.getTotalCount() == 0 ? Double.NaN : interval.getValueAtPercentile(99.9) / 1000.0,
                lag(),
                new HashMap<>(intervalStatuses));
        interval.reset();
        intervalStatuses.clear();
        intervalSent = intervalAnswered = intervalUnsent = 0;
        last[0] = now;
        last[1] = outcomesNow;
        return s;
    }

    private void dispatch(Kind kind, long intendedNanos) {
        switch (kind) {
            case NEW -> sendNew(kind, intendedNanos, "pm_card_visa");
            case DECLINE -> sendNew(kind, intendedNanos, "pm_card_chargeDeclined");
            case CONCURRENT_DUP -> {
                long seq = nextSeq++;
                String key = o.keyPrefix() + seq;
                track(key);
                Buffer body = body(seq, "pm_card_visa", 0);
                // Shared by the pair: a second first-acceptance of one key would be a double charge.
                int[] acceptances = new int[1];
                send(kind, key, body, intendedNanos, seq, "pm_card_visa", acceptances);
                send(kind, key, body, intendedNanos, seq, "pm_card_visa", acceptances);
            }
            case RETRY, CONFLICT -> {
                if (recentCount == 0) {
                    // Nothing accepted yet to retry or contradict: send a new payment instead.
                    sendNew(Kind.NEW, intendedNanos, "pm_card_visa");
                    return;
                }
                RecentKey r = recent[(int) (random.nextLong(Math.min(recentCount, RECENT_KEYS_MAX)))];
                Buffer body = body(r.seq(), r.paymentMethod(), kind == Kind.CONFLICT ? 1 : 0);
                send(kind, r.key(), body, intendedNanos, r.seq(), r.paymentMethod(), null);
            }
            case INVALID -> {
                long seq = nextSeq++;
                send(
                        kind,
                        o.keyPrefix() + seq,
                        Buffer.buffer("{\"amount\":-1,\"currency\":\"USD\"}"),
                        intendedNanos,
                        seq,
                        "",
                        null);
            }
        }
    }

    private void sendNew(Kind kind, long intendedNanos, String paymentMethod) {
        long seq = nextSeq++;
        String key = o.keyPrefix() + seq;
        track(key);
        send(kind, key, body(seq, paymentMethod, 0), intendedNanos, seq, paymentMethod, null);
    }

    private void track(String key) {
        if (outcomes != null && !outcomes.track(PaymentIds.paymentId(o.tenant(), key))) {
            trackingRefused++;
        }
    }

    private Buffer body(long seq, String paymentMethod, long amountDelta) {
        return Buffer.buffer("{\"amount\":" + (100 + seq % 10_000 + amountDelta)
                + ",\"currency\":\"USD\",\"customer_id\":\"" + CustomerIds.of(o.tenant(), seq % 1_000)
                + "\",\"payment_method\":\"" + paymentMethod
                + "\",\"description\":\"loadtest " + seq
                + "\",\"metadata\":{\"run\":\"" + o.keyPrefix() + "\"}}");
    }

    private void send(
            Kind kind,
            String key,
            Buffer body,
            long intendedNanos,
            long seq,
            String paymentMethod,
            int[] pairAcceptances) {
        outstanding++;
        sent++;
        intervalSent++;
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/v1/payments")
                .putHeader("Authorization", "Bearer " + o.apiKey())
                .putHeader("Idempotency-Key", key)
                .putHeader("Content-Type", "application/json")
                .setTimeout(REQUEST_TIMEOUT_MS);
        client.request(ro)
                .compose(req -> req.send(body))
                .compose(resp -> resp.end().map(v -> resp))
                .onComplete(ar -> {
                    outstanding--;
                    long micros =
                            Math.min(LATENCY_MAX_MICROS, Math.max(0, (System.nanoTime() - intendedNanos) / 1_000));
                    if (ar.failed()) {
                        transportErrors++;
                        byKind.computeIfAbsent(kind, k -> new long[2])[1]++;
                        status("error");
                        example(kind + " " + key + ": " + ar.cause());
                        return;
                    }
                    answered++;
                    intervalAnswered++;
                    total.recordValue(micros);
                    interval.recordValue(micros);
                    int code = ar.result().statusCode();
                    boolean replay = "true".equals(ar.result().getHeader("Idempotent-Replayed"));
                    status(Integer.toString(code));
                    boolean firstAcceptance = code == 202 && !replay;
                    boolean ok = expected(kind, code, replay);
                    if (pairAcceptances != null && firstAcceptance && ++pairAcceptances[0] > 1) {
                        ok = false;
                        example(kind + " " + key + ": accepted twice");
                    }
                    count(kind, ok);
                    if (!ok) {
                        example(kind + " " + key + ": " + code + (replay ? " (replay)" : ""));
                    }
                    if (firstAcceptance && (pairAcceptances == null || pairAcceptances[0] == 1)) {
                        acceptedIds.add(PaymentIds.paymentId(o.tenant(), key));
                        if (kind != Kind.INVALID) {
                            recent[(int) (recentCount++ % RECENT_KEYS_MAX)] = new RecentKey(key, seq, paymentMethod);
                        }
                    }
                });
    }

    /** Whether an answer is what its kind of request expects. */
    static boolean expected(Kind kind, int code, boolean replay) {
        return switch (kind) {
            case NEW, DECLINE -> code == 202 && !replay;
            case CONCURRENT_DUP -> code == 202 || code == 200 || code == 409;
            case RETRY -> ((code == 200 || code == 202) && replay) || code == 409;
            case CONFLICT -> code == 422;
            case INVALID -> code == 400;
        };
    }

    private void count(Kind kind, boolean ok) {
        long[] c = byKind.computeIfAbsent(kind, k -> new long[2]);
        c[ok ? 0 : 1]++;
        if (ok) {
            expected++;
        } else {
            unexpected++;
        }
    }

    private void status(String label) {
        statuses.merge(label, 1L, Long::sum);
        intervalStatuses.merge(label, 1L, Long::sum);
    }

    private void example(String what) {
        if (unexpectedExamples.size() < UNEXPECTED_EXAMPLES_MAX) {
            unexpectedExamples.add(what);
        }
    }

    @Override
    public void close() {
        client.close().toCompletionStage().toCompletableFuture().join();
    }
}
