package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.refund.RefundIds;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chaos run's refund mix (issue 21 §1): refund plans of one accepted payment in ten, retried through
 * the kills with the same key until a final answer; each answer kept for {@link RefundChecks}.
 */
public final class RefundLoad {
    /** One accepted payment in this many gets a refund plan. */
    static final int PAYMENTS_PER_PLAN = 10;
    /** Plans waiting to start or under way, at most; an accepted payment beyond it gets no plan (counted). */
    static final int PLANS_OUTSTANDING_MAX = 1_024;
    /** A plan starts this long after its payment's 2xx: by then the payment is usually decided (else 409, retried). */
    static final long PLAN_DELAY_MS = 2_000;
    /** Copies of a duplicated refund sent at once to each gateway, each on its own connection. */
    static final int DUPLICATE_COPIES_PER_GATEWAY = 2;
    /** HTTP connections per gateway, at most. */
    static final int CONNECTIONS_PER_GATEWAY = 16;

    private static final long TICK_MS = 20;

    /** The plans, in turn. */
    public enum Kind {
        /** 40 %, 40 %, 40 % (over the remainder: 422), the rest, the rest again (nothing remains: 422), one after the other. */
        PARTIALS,
        /** Half, its key sent at once on several connections and to every gateway; then the rest. */
        DUPLICATES,
        /** The whole amount (no amount given), then 1 more (nothing remains: 422). */
        FULL,
        /** Two different keys of 60 % each at once: one fits, the other is over the remainder. */
        RACE
    }

    /** What a request's answer must be, given its plan's earlier answers. */
    public enum Expect {
        /** It fits: a 2xx. */
        FITS,
        /** It is over the remainder: a 422 {@code refund-exceeds-remainder} or {@code payment-fully-refunded}. */
        REFUSED,
        /** One of a race: exactly one of its stage is accepted. */
        ONE_OF_RACE
    }

    /**
     * One copy's end: the answer, its HTTP status (0 when none), the problem's slug for a 4xx, its tries,
     * and its first and last try in seconds from the start of the run.
     */
    public record Reply(Answer answer, int status, String problem, int tries, double firstS, double lastS) {}

    /**
     * One refund request (one Idempotency-Key) as the client saw it: its payment and the amount the
     * payment captured, the amount asked (null: the rest), its plan (kind, number) and stage, what it
     * expected, and one reply per copy sent.
     */
    public record Sent(
            String paymentId,
            long capturedMinor,
            String key,
            String refundId,
            Long amountMinor,
            Kind kind,
            long plan,
            int stage,
            Expect expect,
            List<Reply> replies) {}

    private record Due(String paymentId, long amountMinor, long atNanos) {}

    /** A request under way: its copies' replies fill in as they end. */
    private static final class Request {
        final String paymentId;
        final long captured;
        final String key;
        final Long amount;
        final Kind kind;
        final long plan;
        final int stage;
        final Expect expect;
        final Reply[] replies;

        Request(
                String paymentId,
                long captured,
                String key,
                Long amount,
                Kind kind,
                long plan,
                int stage,
                Expect e,
                int copies) {
            this.paymentId = paymentId;
            this.captured = captured;
            this.key = key;
            this.amount = amount;
            this.kind = kind;
            this.plan = plan;
            this.stage = stage;
            this.expect = e;
            this.replies = new Reply[copies];
        }
    }

    private final Vertx vertx;
    private final Context context;
    private final List<HttpClient> clients = new ArrayList<>();
    private final String tenant;
    private final String apiKey;
    private final String keyPrefix;
    private final long retryDeadlineMs;
    private final long runStartNanos;
    private final Queue<Due> due = new ConcurrentLinkedQueue<>();
    private final AtomicInteger plansOutstanding = new AtomicInteger();
    private final AtomicLong acceptedPayments = new AtomicLong();
    private final AtomicLong plansSkipped = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicInteger callsOutstanding = new AtomicInteger();
    private final List<Request> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    private final java.util.Random jitter = new java.util.Random(2);
    private volatile boolean stopped;
    /** The payment load feeding it: once it stops, so does this (no new plan, no next stage). */
    private volatile ChaosLoad payments;

    private volatile boolean givenUp;
    private volatile long plans;
    private long timer = -1;

    /**
     * @param keyPrefix the refunds' Idempotency-Keys start with it (unique per run)
     * @param retryDeadlineMs each copy is retried until this long after its first try
     * @param runStartNanos the run's start: the replies' times are counted from it
     */
    public RefundLoad(
            Vertx vertx,
            List<Integer> gatewayPorts,
            String keyPrefix,
            String tenant,
            String apiKey,
            long retryDeadlineMs,
            long runStartNanos) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.keyPrefix = keyPrefix;
        this.tenant = tenant;
        this.apiKey = apiKey;
        this.retryDeadlineMs = retryDeadlineMs;
        this.runStartNanos = runStartNanos;
        for (int port : gatewayPorts) {
            clients.add(vertx.createHttpClient(
                    new HttpClientOptions()
                            .setDefaultHost("127.0.0.1")
                            .setDefaultPort(port)
                            .setKeepAlive(true)
                            .setConnectTimeout(2_000),
                    new PoolOptions()
                            .setHttp1MaxSize(CONNECTIONS_PER_GATEWAY)
                            .setMaxWaitQueueSize(PLANS_OUTSTANDING_MAX)));
        }
    }

    /**
     * A refund mix fed by {@code load}'s accepted payments, started: its keys are {@code
     * chaos-refund-<runStartEpochMs>-<plan>-<step>}, of the load's tenant (default).
     */
    static RefundLoad feeding(
            ChaosLoad load,
            Vertx vertx,
            List<Integer> gatewayPorts,
            long runStartEpochMs,
            String apiKey,
            long retryDeadlineMs,
            long runStartNanos) {
        RefundLoad r = new RefundLoad(
                vertx,
                gatewayPorts,
                "chaos-refund-" + runStartEpochMs + "-",
                "default",
                apiKey,
                retryDeadlineMs,
                runStartNanos);
        load.onAccepted(r::accepted);
        r.payments = load;
        r.start();
        return r;
    }

    /** Told of each accepted payment (from the payment load's context): every tenth gets a plan. */
    public void accepted(String paymentId, long amountMinor) {
        if (stopped || acceptedPayments.incrementAndGet() % PAYMENTS_PER_PLAN != 0) {
            return;
        }
        if (plansOutstanding.incrementAndGet() > PLANS_OUTSTANDING_MAX) {
            plansOutstanding.decrementAndGet();
            plansSkipped.incrementAndGet();
            return;
        }
        due.add(new Due(paymentId, amountMinor, System.nanoTime() + PLAN_DELAY_MS * 1_000_000));
    }

    public void start() {
        context.runOnContext(v -> timer = vertx.setPeriodic(TICK_MS, id -> tick()));
    }

    /** No new plan and no next stage from now on; requests under way go on until {@link #giveUp}. */
    public void stop() {
        stopped = true;
        context.runOnContext(v -> vertx.cancelTimer(timer));
    }

    private void tick() {
        if (payments != null && payments.stopped() && !stopped) {
            stop();
        }
        long now = System.nanoTime();
        for (Due d = due.peek(); d != null && d.atNanos() <= now; d = due.peek()) {
            due.poll();
            startPlan(d.paymentId(), d.amountMinor(), plans++);
        }
    }

    /** The plan's stages: each a list of requests sent at once, the next once all of them have ended. */
    private List<List<Request>> stages(String id, long c, long plan) {
        Kind kind = Kind.values()[(int) (plan % Kind.values().length)];
        String k = keyPrefix + plan + "-";
        int all = clients.size() * DUPLICATE_COPIES_PER_GATEWAY;
        List<List<Request>> s = new ArrayList<>();
        switch (kind) {
            case PARTIALS -> {
                long p = Math.max(1, c * 40 / 100);
                s.add(List.of(new Request(id, c, k + "a", p, kind, plan, 0, Expect.FITS, 1)));
                s.add(List.of(new Request(id, c, k + "b", p, kind, plan, 1, Expect.FITS, 1)));
                s.add(List.of(new Request(id, c, k + "c", p, kind, plan, 2, Expect.REFUSED, 1)));
                s.add(List.of(new Request(id, c, k + "d", null, kind, plan, 3, Expect.FITS, 1)));
                s.add(List.of(new Request(id, c, k + "e", null, kind, plan, 4, Expect.REFUSED, 1)));
            }
            case DUPLICATES -> {
                s.add(List.of(new Request(id, c, k + "a", Math.max(1, c / 2), kind, plan, 0, Expect.FITS, all)));
                s.add(List.of(new Request(id, c, k + "b", null, kind, plan, 1, Expect.FITS, 1)));
            }
            case FULL -> {
                s.add(List.of(new Request(id, c, k + "a", null, kind, plan, 0, Expect.FITS, 1)));
                s.add(List.of(new Request(id, c, k + "b", 1L, kind, plan, 1, Expect.REFUSED, 1)));
            }
            case RACE -> {
                long p = c * 60 / 100;
                s.add(List.of(
                        new Request(id, c, k + "a", p, kind, plan, 0, Expect.ONE_OF_RACE, 1),
                        new Request(id, c, k + "b", p, kind, plan, 0, Expect.ONE_OF_RACE, 1)));
            }
        }
        return s;
    }

    private void startPlan(String paymentId, long captured, long plan) {
        runStage(stages(paymentId, captured, plan), 0);
    }

    /**
     * Sends stage {@code i}'s requests, every copy at once (copy j to gateway j mod n first); once all
     * have ended, the next stage, unless one ended unknown (its expectation would be unknown too) or
     * the load stopped.
     */
    private void runStage(List<List<Request>> stages, int i) {
        if (i >= stages.size() || stopped) {
            plansOutstanding.decrementAndGet();
            return;
        }
        List<Request> stage = stages.get(i);
        int[] open = {stage.stream().mapToInt(r -> r.replies.length).sum()};
        Runnable ended = () -> {
            if (--open[0] == 0) {
                boolean known = stage.stream()
                        .flatMap(r -> java.util.Arrays.stream(r.replies))
                        .allMatch(rep -> rep.answer() != Answer.UNKNOWN);
                if (known) {
                    runStage(stages, i + 1);
                } else {
                    plansOutstanding.decrementAndGet();
                }
            }
        };
        int n = 0;
        for (Request r : stage) {
            requests.add(r);
            for (int copy = 0; copy < r.replies.length; copy++) {
                callsOutstanding.incrementAndGet();
                send(r, copy, n++ % clients.size(), 1, System.nanoTime(), ended);
            }
        }
    }

    private void send(Request r, int copy, int firstGateway, int tries, long firstNanos, Runnable ended) {
        int g = (firstGateway + tries - 1) % clients.size();
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/v1/payments/" + r.paymentId + "/refunds")
                .putHeader("Idempotency-Key", r.key)
                .putHeader("Authorization", "Bearer " + apiKey)
                .setTimeout(ChaosLoad.REQUEST_TIMEOUT_MS);
        Buffer body = Buffer.buffer();
        if (r.amount != null) {
            ro.putHeader("Content-Type", "application/json");
            body = Buffer.buffer("{\"amount\":" + r.amount + ",\"reason\":\"requested_by_customer\"}");
        }
        Buffer sent = body;
        clients.get(g)
                .request(ro)
                .compose(req -> req.send(sent))
                .compose(resp -> resp.body().map(b ->
                        new Object[] {resp.statusCode(), resp.statusCode() >= 400 ? slug(b) : null}))
                .onComplete(ar -> {
                    if (givenUp) {
                        return;
                    }
                    int status = ar.succeeded() ? (int) ar.result()[0] : 0;
                    Answer a = status >= 200 && status < 300
                            ? Answer.ACCEPTED
                            : status >= 400 && status < 500 && status != 409 && status != 429
                                    ? Answer.REJECTED
                                    : Answer.UNKNOWN;
                    if (a == Answer.UNKNOWN && System.nanoTime() - firstNanos < retryDeadlineMs * 1_000_000) {
                        retry(r, copy, firstGateway, tries, firstNanos, ended);
                        return;
                    }
                    String slug = ar.succeeded() ? (String) ar.result()[1] : null;
                    r.replies[copy] =
                            new Reply(a, status, slug, tries, seconds(firstNanos), seconds(System.nanoTime()));
                    callsOutstanding.decrementAndGet();
                    ended.run();
                });
    }

    private void retry(Request r, int copy, int firstGateway, int tries, long firstNanos, Runnable ended) {
        retries.incrementAndGet();
        long backoffMs =
                Math.min(ChaosLoad.RETRY_BACKOFF_MAX_MS, ChaosLoad.RETRY_BACKOFF_MIN_MS << Math.min(tries - 1, 10));
        long delayMs = Math.max(1, backoffMs / 2 + (long) (jitter.nextDouble() * backoffMs / 2));
        vertx.setTimer(delayMs, t -> {
            if (!givenUp) {
                send(r, copy, firstGateway, tries + 1, firstNanos, ended);
            }
        });
    }

    private double seconds(long nanos) {
        return (nanos - runStartNanos) / 1e9;
    }

    /** Copies still in flight or waiting to retry. */
    public int outstanding() {
        return callsOutstanding.get();
    }

    /** Stops retrying; the keys of the copies not ended (each a violation), sorted. */
    public List<String> giveUp() {
        givenUp = true;
        List<String> open = new ArrayList<>();
        synchronized (requests) {
            for (Request r : requests) {
                for (Reply rep : r.replies) {
                    if (rep == null) {
                        open.add(r.key);
                    }
                }
            }
        }
        open.sort(null);
        return open;
    }

    /** Every request sent and ended, as the client saw it (copies not ended are left out). */
    public List<Sent> sent() {
        List<Sent> out = new ArrayList<>();
        synchronized (requests) {
            for (Request r : requests) {
                List<Reply> replies = java.util.Arrays.stream(r.replies)
                        .filter(java.util.Objects::nonNull)
                        .toList();
                out.add(new Sent(
                        r.paymentId,
                        r.captured,
                        r.key,
                        RefundIds.refundId(tenant, r.key),
                        r.amount,
                        r.kind,
                        r.plan,
                        r.stage,
                        r.expect,
                        replies));
            }
        }
        return out;
    }

    /** Retries sent, in all. */
    public long retries() {
        return retries.get();
    }

    /** Accepted payments that got no plan (too many plans outstanding). */
    public long plansSkipped() {
        return plansSkipped.get();
    }

    /** Plans started. */
    public long plans() {
        return plans;
    }

    public void close() {
        clients.forEach(HttpClient::close);
    }

    /** The slug of a problem+json body ({@code .../problems/refund-exceeds-remainder} gives the last segment). */
    static String slug(Buffer body) {
        try {
            String type = new JsonObject(body).getString("type", "");
            return type.substring(type.lastIndexOf('/') + 1);
        } catch (RuntimeException e) {
            return "unreadable";
        }
    }
}
