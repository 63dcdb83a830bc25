package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Runs at most {@code inFlightMax} asynchronous calls at once; the rest wait, at most
 * {@code waitingMax} of them. Single-threaded: use it from one Vert.x context only.
 */
public final class InFlightLimiter {
    private final int inFlightMax;
    private final int waitingMax;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int inFlight;

    public InFlightLimiter(int inFlightMax, int waitingMax) {
        Check.argument(inFlightMax > 0 && waitingMax >= 0, "invalid limits %d/%d", inFlightMax, waitingMax);
        this.inFlightMax = inFlightMax;
        this.waitingMax = waitingMax;
    }

    public <T> Future<T> submit(Supplier<Future<T>> call) {
        Promise<T> promise = Promise.promise();
        Runnable run = () -> {
            inFlight++;
            Future<T> f;
            try {
                f = call.get();
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
                inFlight--;
                Runnable next = waiting.poll();
                if (next != null) {
                    next.run();
                }
                promise.handle(ar);
            });
        };
        if (inFlight < inFlightMax) {
            run.run();
        } else if (waiting.size() < waitingMax) {
            waiting.add(run);
        } else {
            promise.fail(new IllegalStateException("more than " + waitingMax + " provider calls waiting"));
        }
        return promise.future();
    }

    public int inFlight() {
        return inFlight;
    }
}
