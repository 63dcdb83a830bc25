package com.streamsocial.billing.processor.psp;

import io.vertx.core.Future;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The provider as readiness sees it: wraps a {@link PaymentProvider} and remembers how its latest
 * calls ended. Down while the latest call failed and that failure is under {@code windowMs} old; a
 * success, or a quiet window, brings it back. It decides nothing about payments.
 */
public final class ProviderHealth implements PaymentProvider {
    /** How long a failed provider call keeps readiness down, unless a later call succeeds. */
    public static final long FAILURE_WINDOW_MS = 30_000;

    private final PaymentProvider delegate;
    private final LongSupplier clockMs;
    private final long windowMs;
    /** Whether the latest completed call failed; calls complete on one event loop, in order. */
    private volatile boolean latestFailed;

    private volatile long lastFailureMs = -1;
    private volatile String lastError;

    public ProviderHealth(PaymentProvider delegate, LongSupplier clockMs, long windowMs) {
        this.delegate = delegate;
        this.clockMs = clockMs;
        this.windowMs = windowMs;
    }

    @Override
    public Future<List<ChargeResult>> prepare(List<Charge> charges) {
        return observed(delegate.prepare(charges));
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        return observed(delegate.charge(charges));
    }

    private Future<List<ChargeResult>> observed(Future<List<ChargeResult>> call) {
        return call.onComplete(ar -> {
            if (ar.failed()) {
                lastFailureMs = clockMs.getAsLong();
                lastError = String.valueOf(ar.cause());
            }
            latestFailed = ar.failed();
        });
    }

    public boolean up() {
        return !latestFailed || clockMs.getAsLong() - lastFailureMs > windowMs;
    }

    /** The latest failure while down, else null. */
    public String lastError() {
        return up() ? null : lastError;
    }
}
