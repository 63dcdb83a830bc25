package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.processor.ProcessorMeters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Starts provider calls while fewer than an {@link AdaptiveLimit} are in flight and the {@link
 * TokenBucket} of {@link ProviderLimits#rateLimitPerSec()} has a token; the rest wait in order, at
 * most {@code waitingMax} of them (one more fails at once with {@link Saturated}), each until the
 * time it must start by (a call whose turn comes later fails with {@link TooLate}, a {@link
 * ProviderUnavailableException}, never made: its batch is given up). Each call's end, its latency and whether it was an overload signal, adapts
 * the limit. Single-threaded: use it from one Vert.x context only (its timers run there too).
 */
public final class InFlightLimiter {
    /** A call refused because {@code waitingMax} calls were already waiting. */
    public static final class Saturated extends IllegalStateException {
        Saturated(int waitingMax) {
            super("more than " + waitingMax + " provider calls waiting");
        }
    }

    /** A call whose turn came after the time it had to start by: not made, its batch is given up. */
    public static final class TooLate extends ProviderUnavailableException {
        TooLate(String message) {
            super(message);
        }
    }

    /** One call waiting for its turn. */
    private static final class Waiting<T> {
        private final Supplier<Future<T>> call;
        private final Predicate<AsyncResult<T>> overloaded;
        private final long startByNanos;
        private final Promise<T> promise = Promise.promise();
        /** Counted in {@code provider.rate.limited} already: each call at most once. */
        private boolean rateCounted;

        private Waiting(Supplier<Future<T>> call, Predicate<AsyncResult<T>> overloaded, long startByNanos) {
            this.call = call;
            this.overloaded = overloaded;
            this.startByNanos = startByNanos;
        }
    }

    private final Vertx vertx;
    private final LongSupplier clockNanos;
    private final AdaptiveLimit limit;
    private final TokenBucket rate;
    private final int waitingMax;
    private final ArrayDeque<Waiting<?>> waiting = new ArrayDeque<>();
    private final Counter rateLimited;
    private final Counter decreasedOnDrops;
    private final Counter decreasedOnLatency;
    private final Counter unavailable;
    private int inFlight;
    /** Set while {@link #drain} runs: a call that ends within it must not start another drain. */
    private boolean draining;
    /** A timer is set to drain when the next token is there: at most one at a time. */
    private boolean timerSet;
    /** Copies for the gauges, which a scrape reads on another thread. */
    private volatile int limitNow;

    private volatile int inFlightNow;
    private volatile int waitingNow;

    public InFlightLimiter(Vertx vertx, ProviderLimits limits, int waitingMax, ProcessorMeters metrics) {
        this(vertx, limits, waitingMax, metrics, System::nanoTime);
    }

    InFlightLimiter(
            Vertx vertx, ProviderLimits limits, int waitingMax, ProcessorMeters metrics, LongSupplier clockNanos) {
        Check.argument(waitingMax >= 0, "waitingMax must not be negative, got %d", waitingMax);
        this.vertx = vertx;
        this.clockNanos = clockNanos;
        long now = clockNanos.getAsLong();
        this.limit = new AdaptiveLimit(limits.concurrencyMin(), limits.inFlightMax(), now);
        this.rate = new TokenBucket(limits.rateLimitPerSec(), limits.burstMax(), now);
        this.waitingMax = waitingMax;
        this.limitNow = limit.limit();
        // Registered now, so that a scrape shows them (at zero) before the first call.
        metrics.providerLimiterGauges(() -> limitNow, () -> inFlightNow, () -> waitingNow);
        rateLimited = metrics.providerRateLimited();
        decreasedOnDrops = metrics.providerConcurrencyDecreased("drops");
        decreasedOnLatency = metrics.providerConcurrencyDecreased("latency");
        unavailable = metrics.providerUnavailable();
    }

    /**
     * Runs {@code call} at once if nothing waits and both bounds allow, else in line, if its turn
     * comes within {@code startWithinMs}; {@code overloaded}
     * tells whether its end is an overload signal (see {@link #overloaded(AsyncResult)} for HTTP
     * calls). The future is the call's; or failed with {@link Saturated} at once, or with {@link
     * TooLate} when its turn came too late.
     */
    public <T> Future<T> submit(Supplier<Future<T>> call, Predicate<AsyncResult<T>> overloaded, long startWithinMs) {
        long now = clockNanos.getAsLong();
        long startWithinNanos = Math.min(Math.max(0, startWithinMs), Long.MAX_VALUE / 2_000_000L) * 1_000_000L;
        Waiting<T> w = new Waiting<>(call, overloaded, now + startWithinNanos);
        if (waiting.isEmpty() && inFlight < limit.limit() && rate.tryTake(now)) {
            // Nothing ahead and room now: it starts whatever its start-by time, having waited for nothing
            // (a retry's last attempt, scheduled with just enough time, is made as before).
            start(w);
        } else if (waiting.size() >= waitingMax) {
            w.promise.fail(new Saturated(waitingMax));
        } else {
            // In line, so that a new call never takes the token or the slot of one already waiting.
            waiting.add(w);
            // Sets the timer for the next token if the rate is what holds it.
            drain();
        }
        inFlightNow = inFlight;
        waitingNow = waiting.size();
        return w.promise.future();
    }

    /**
     * Whether an HTTP call's end says the provider is overloaded: 429, any 5xx, or no answer (a
     * timeout, a refused or lost connection). Not an answer over the size bound: that is the
     * answer's fault, not load; nor any other status, which answers for the request, not the load.
     */
    public static boolean overloaded(AsyncResult<? extends HttpResponse<?>> ar) {
        if (ar.failed()) {
            return !(ar.cause() instanceof ProviderAnswerBody.TooLarge);
        }
        int status = ar.result().statusCode();
        return status == 429 || status >= 500;
    }

    /** Whether the call failed without being made: refused, or its turn came too late. */
    public static boolean notStarted(AsyncResult<?> ar) {
        return ar.failed() && (ar.cause() instanceof Saturated || ar.cause() instanceof TooLate);
    }

    public int inFlight() {
        return inFlight;
    }

    /** Calls allowed in flight now. */
    public int limit() {
        return limit.limit();
    }

    /** Calls waiting for their turn now. */
    public int waiting() {
        return waiting.size();
    }

    /** Starts waiting calls in order while the limit and the rate allow. */
    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!waiting.isEmpty()) {
                long now = clockNanos.getAsLong();
                Waiting<?> head = waiting.peek();
                if (now - head.startByNanos > 0) {
                    waiting.poll();
                    tooLate(head);
                    continue;
                }
                if (inFlight >= limit.limit()) {
                    break;
                }
                if (!rate.tryTake(now)) {
                    if (!head.rateCounted) {
                        head.rateCounted = true;
                        rateLimited.increment();
                    }
                    wakeAfter(rate.nanosUntilToken(now));
                    break;
                }
                start(waiting.poll());
            }
        } finally {
            draining = false;
            inFlightNow = inFlight;
            waitingNow = waiting.size();
        }
    }

    /** Its batch's deadline passed while it waited: not called at all, so no token and no sample. */
    private void tooLate(Waiting<?> w) {
        unavailable.increment();
        w.promise.fail(new TooLate("no turn at the provider before the batch's deadline: " + waiting.size()
                + " calls waiting, " + inFlight + " in flight, limit " + limit.limit()));
    }

    private void wakeAfter(long nanos) {
        if (timerSet) {
            return;
        }
        timerSet = true;
        // Whole milliseconds, rounded up: a timer of 0 ms is not allowed, and early wakes drain nothing.
        vertx.setTimer(Math.max(1, (nanos + 999_999) / 1_000_000), id -> {
            timerSet = false;
            drain();
        });
    }

    private <T> void start(Waiting<T> w) {
        inFlight++;
        int inFlightAtStart = inFlight;
        long startedNanos = clockNanos.getAsLong();
        Future<T> f;
        try {
            f = w.call.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            inFlight--;
            long now = clockNanos.getAsLong();
            adapted(limit.onSample(now - startedNanos, w.overloaded.test(ar), inFlightAtStart, now));
            drain();
            w.promise.handle(ar);
        });
    }

    private void adapted(AdaptiveLimit.Change change) {
        switch (change) {
            case DECREASED_DROPS -> decreasedOnDrops.increment();
            case DECREASED_LATENCY -> decreasedOnLatency.increment();
            default -> {}
        }
        limitNow = limit.limit();
    }
}
