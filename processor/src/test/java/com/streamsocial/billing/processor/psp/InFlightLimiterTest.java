package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The limiter on one Vert.x context, as the processor uses it, with a clock the test moves. */
class InFlightLimiterTest {
    private static final long MS = 1_000_000L;

    private Vertx vertx;
    private Context context;
    private ServiceMetrics metrics;
    private final AtomicLong nowNanos = new AtomicLong(1_000 * MS);
    /** Calls started, in order, each with the promise that ends it. */
    private final List<Promise<String>> started = new ArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        metrics = new ServiceMetrics();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private InFlightLimiter limiter(ProviderLimits limits, int waitingMax) throws Exception {
        return on(() -> new InFlightLimiter(vertx, limits, waitingMax, new ProcessorMeters(metrics), nowNanos::get));
    }

    /** A call that ends when the test completes its promise; the predicate calls a failure overload. */
    private Future<String> submit(InFlightLimiter l, long startWithinMs) throws Exception {
        return on(() -> l.submit(
                () -> {
                    Promise<String> p = Promise.promise();
                    started.add(p);
                    return p.future();
                },
                AsyncResult::failed,
                startWithinMs));
    }

    private <T> T on(Callable<T> work) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                done.complete(work.call());
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        });
        return done.get(10, TimeUnit.SECONDS);
    }

    @Test
    void startsNoMoreThanTheLimitAndTheRestInOrderAsCallsEnd() throws Exception {
        InFlightLimiter l = limiter(new ProviderLimits(2, 2, 10_000), 10);
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(submit(l, 60_000));
        }
        assertThat(started).hasSize(2);
        assertThat(on(l::inFlight)).isEqualTo(2);
        assertThat(metrics.gauge("provider.waiting")).isEqualTo(3);
        assertThat(metrics.gauge("provider.in.flight")).isEqualTo(2);
        assertThat(metrics.gauge("provider.concurrency.limit")).isEqualTo(2);
        on(() -> started.get(1).tryComplete("second"));
        assertThat(calls.get(1).result()).isEqualTo("second");
        assertThat(started).hasSize(3);
        on(() -> started.get(0).tryComplete("first"));
        assertThat(started).hasSize(4);
        assertThat(on(l::waiting)).isEqualTo(1);
        assertThat(calls.get(2).isComplete()).isFalse();
    }

    @Test
    void callsOverTheRateWaitForTheirTokenAndAreCounted() throws Exception {
        // 10/s: a burst of one, then one every 100 ms.
        InFlightLimiter l = limiter(new ProviderLimits(4, 4, 10), 10);
        submit(l, 60_000);
        submit(l, 60_000);
        submit(l, 60_000);
        assertThat(started).hasSize(1);
        assertThat(metrics.count("provider.rate.limited")).isEqualTo(1);
        // The limiter's timer fires within about 100 ms of real time; the token is there at 100 ms.
        nowNanos.addAndGet(100 * MS);
        long until = System.currentTimeMillis() + 5_000;
        while (on(started::size) < 2 && System.currentTimeMillis() < until) {
            Thread.sleep(10);
        }
        assertThat(on(started::size)).isEqualTo(2);
        // The third's turn has come without a token: counted once, however often its timer wakes.
        Thread.sleep(300);
        assertThat(on(started::size)).isEqualTo(2);
        assertThat(metrics.count("provider.rate.limited")).isEqualTo(2);
    }

    @Test
    void oneCallMoreThanWaitingMaxFailsAtOnceWithoutBeingMade() throws Exception {
        InFlightLimiter l = limiter(new ProviderLimits(1, 1, 10_000), 1);
        submit(l, 60_000);
        Future<String> waits = submit(l, 60_000);
        Future<String> refused = submit(l, 60_000);
        assertThat(waits.isComplete()).isFalse();
        assertThat(refused.failed()).isTrue();
        assertThat(refused.cause()).isInstanceOf(InFlightLimiter.Saturated.class);
        assertThat(InFlightLimiter.notStarted(refused)).isTrue();
        assertThat(started).hasSize(1);
    }

    @Test
    void aCallWhoseTurnComesAfterItsStartByTimeFailsUnmade() throws Exception {
        InFlightLimiter l = limiter(new ProviderLimits(1, 1, 10_000), 10);
        submit(l, 60_000);
        Future<String> late = submit(l, 100);
        Future<String> inTime = submit(l, 60_000);
        nowNanos.addAndGet(101 * MS);
        on(() -> started.get(0).tryComplete("first"));
        assertThat(late.failed()).isTrue();
        assertThat(late.cause()).isInstanceOf(InFlightLimiter.TooLate.class);
        assertThat(InFlightLimiter.notStarted(late)).isTrue();
        assertThat(metrics.count("provider.unavailable")).isEqualTo(1);
        // The one behind it starts in its place.
        assertThat(started).hasSize(2);
        assertThat(inTime.isComplete()).isFalse();
    }

    @Test
    void aCallWithNothingAheadAndRoomStartsWhateverItsStartByTime() throws Exception {
        // A retry's last attempt is scheduled with just enough time, and its timer fires a little late.
        InFlightLimiter l = limiter(new ProviderLimits(1, 1, 10_000), 10);
        Future<String> last = submit(l, -5);
        assertThat(started).hasSize(1);
        assertThat(last.isComplete()).isFalse();
        // With a call ahead of it, the same call waits and, its time gone, is never made.
        Future<String> behind = submit(l, -5);
        nowNanos.addAndGet(1);
        on(() -> started.get(0).tryComplete("first"));
        assertThat(behind.cause()).isInstanceOf(InFlightLimiter.TooLate.class);
        assertThat(started).hasSize(1);
    }

    @Test
    void overloadSignalsShrinkTheLimitAndSlowAnswersDoNotGrowItPastTheCeiling() throws Exception {
        InFlightLimiter l = limiter(new ProviderLimits(16, 512, 10_000), 10_000);
        // A window of calls that all fail: the limit halves, counted by its reason.
        for (int i = 0; i < 100; i++) {
            submit(l, 60_000);
            nowNanos.addAndGet(5 * MS);
            int k = i;
            on(() -> started.get(k).tryFail(new IOException("connection reset")));
        }
        assertThat(on(l::limit)).isEqualTo(128);
        assertThat(metrics.gauge("provider.concurrency.limit")).isEqualTo(128);
        assertThat(metrics.count("provider.concurrency.decreased", "reason", "drops"))
                .isEqualTo(1);
        assertThat(metrics.count("provider.concurrency.decreased", "reason", "latency"))
                .isZero();
    }

    @Test
    void http429And5xxAndLostConnectionsAreOverloadOtherAnswersAndOversizeAreNot() {
        for (int status : new int[] {429, 500, 502, 503, 504}) {
            assertThat(InFlightLimiter.overloaded(Future.succeededFuture(response(status))))
                    .as("HTTP %d", status)
                    .isTrue();
        }
        for (int status : new int[] {200, 400, 401, 402, 404, 409, 422}) {
            assertThat(InFlightLimiter.overloaded(Future.succeededFuture(response(status))))
                    .as("HTTP %d", status)
                    .isFalse();
        }
        assertThat(InFlightLimiter.overloaded(Future.failedFuture(new IOException("reset"))))
                .isTrue();
        assertThat(InFlightLimiter.overloaded(Future.failedFuture(new ProviderAnswerBody.TooLarge(10))))
                .isFalse();
    }

    /** A response with only its status. */
    @SuppressWarnings("unchecked")
    private static HttpResponse<Object> response(int status) {
        return (HttpResponse<Object>) Proxy.newProxyInstance(
                HttpResponse.class.getClassLoader(), new Class<?>[] {HttpResponse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("statusCode")) {
                        return status;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
