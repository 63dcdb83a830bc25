package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.tracing.TraceHeaders;
import com.streamsocial.billing.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every provider adapter calls its provider, written once: the charges of a batch fanned out
 * under the {@link InFlightLimiter}, each call in its own turn, an answer that decides nothing retried
 * with exponential back-off and full jitter until the batch deadline, the {@code provider.*} meters,
 * and the adapter's secrets masked in every reason. The adapters build the requests and decode the
 * answers ({@link Attempt}); nothing here knows a provider's API.
 */
final class ProviderCalls {
    private static final Logger log = LoggerFactory.getLogger(ProviderCalls.class);

    /**
     * Provider calls waiting for their turn at most (the limiter's queue): far above the batches of
     * all loops at once (3 × 2,000 by default), so only a runaway fills it; past it a batch fails.
     */
    static final int CALLS_WAITING_MAX = 100_000;

    /** What one answer decided: a value ({@link Decided}) or nothing, to ask again ({@link Retry}). */
    sealed interface Outcome<D> permits Decided, Retry {}

    /** An answer about the payment. */
    record Decided<D>(D value) implements Outcome<D> {}

    /**
     * An answer that decides nothing: asked again until the deadline. {@code configuration}: ours is
     * wrong (a key, an address), not the provider's; {@code reason} may quote the answer.
     */
    record Retry<D>(boolean configuration, String reason) implements Outcome<D> {}

    /** The request of one turn, as the adapter sends it: the helper counts it and times it. */
    @FunctionalInterface
    interface Turn {
        Future<HttpResponse<Buffer>> take(Supplier<Future<HttpResponse<Buffer>>> request);
    }

    /** One attempt of one step of a charge: the request, and what its answer means. */
    interface Attempt<D> {
        /** Sends the request once through {@code turn}, after anything it needs first (a token). */
        Future<HttpResponse<Buffer>> send(Turn turn);

        /** The answer decoded totally: never throws, whatever the body. */
        Outcome<D> decide(int status, byte[] body);

        /** {@code why} with this attempt's own secrets (a token) masked; the adapter's are masked anyway. */
        default String redact(String why) {
            return why;
        }
    }

    /** The bounds of an adapter's calls, each wait bounded: its {@code Options} record gives them. */
    interface Bounds {
        ProviderLimits limits();

        long callTimeoutMs();

        long retryInitialMs();

        long retryMaxMs();

        long deadlineMs();
    }

    private final Vertx vertx;
    private final Tracing tracing;
    private final Bounds s;
    private final String secret;
    private final String configurationHint;
    private final InFlightLimiter limiter;
    final ProviderMeters meters;

    /**
     * Registers every {@code provider.*} series the adapters share (see {@link ProviderMeters}). {@code
     * secret} is masked in every reason; {@code configurationHint} says which settings to check when
     * the provider says ours are wrong; {@code tracing} makes each call's client span.
     */
    ProviderCalls(
            Vertx vertx,
            Bounds bounds,
            String secret,
            String configurationHint,
            ProcessorMeters metrics,
            Tracing tracing) {
        this.vertx = vertx;
        this.tracing = tracing;
        this.s = bounds;
        this.secret = secret;
        this.configurationHint = configurationHint;
        // Every provider.* series from the first scrape (the alerts' increase() needs a 0 before the 1).
        this.meters = new ProviderMeters(metrics);
        this.limiter = new InFlightLimiter(vertx, bounds.limits(), CALLS_WAITING_MAX, metrics);
    }

    /** The HTTP method of a client span ({@code http.request.method}). */
    static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    /** The route, ids left as placeholders ({@code url.template}): a bounded set of values. */
    static final AttributeKey<String> URL_TEMPLATE = AttributeKey.stringKey("url.template");

    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    /**
     * Sends {@code request} ({@code send} sets the rest and sends it) inside a {@link SpanKind#CLIENT}
     * span named {@code "METHOD route"}, the child of {@code parent} (the item's processor span), and
     * carrying that span's context ({@code traceparent}, {@code tracestate}) to the provider. With the
     * no-op tracer the span is the parent's context itself: the provider gets {@code parent} unchanged
     * (nothing when it is invalid). One span per HTTP call, retries included.
     */
    <T> Future<HttpResponse<Buffer>> client(
            String method,
            String route,
            ProviderAddress address,
            HttpRequest<T> request,
            SpanContext parent,
            Function<HttpRequest<T>, Future<HttpResponse<Buffer>>> send) {
        Span span = tracing.start(method + " " + route, SpanKind.CLIENT, parent);
        if (span.isRecording()) {
            span.setAttribute(HTTP_METHOD, method);
            span.setAttribute(URL_TEMPLATE, route);
            span.setAttribute(SERVER_ADDRESS, address.host());
            span.setAttribute(SERVER_PORT, (long) address.port());
        }
        TraceHeaders.toHttp(span.getSpanContext(), request.headers());
        Future<HttpResponse<Buffer>> sent;
        try {
            sent = send.apply(request);
        } catch (RuntimeException e) {
            sent = Future.failedFuture(e);
        }
        return sent.onComplete(ar -> {
            if (span.isRecording()) {
                if (ar.succeeded()) {
                    int status = ar.result().statusCode();
                    span.setAttribute(HTTP_STATUS, (long) status);
                    if (status >= 500) {
                        span.setStatus(StatusCode.ERROR);
                    }
                } else {
                    span.setStatus(StatusCode.ERROR, ar.cause().getClass().getSimpleName());
                }
            }
            span.end();
        });
    }

    /** The deadline of a batch's calls that start now. */
    long deadline() {
        return System.currentTimeMillis() + s.deadlineMs();
    }

    /** Each charge's result, in order: all of them, or the first failure (the batch is read again). */
    static Future<List<ChargeResult>> each(List<Charge> charges, Function<Charge, Future<ChargeResult>> call) {
        List<Future<ChargeResult>> calls = new ArrayList<>(charges.size());
        for (Charge c : charges) {
            calls.add(call.apply(c));
        }
        return Future.all(calls).map(done -> {
            List<ChargeResult> out = new ArrayList<>(charges.size());
            for (Future<ChargeResult> f : calls) {
                out.add(f.result());
            }
            return out;
        });
    }

    /**
     * One step of a charge, asked until an answer decides it, or failed with {@link
     * ProviderUnavailableException} when the next try could not end before {@code deadline}. {@code
     * step} names it in that failure ({@code null}: a one-step provider); {@code attempts} gives a
     * fresh attempt for each try.
     */
    <D> Future<D> untilDecided(String paymentId, String step, Supplier<Attempt<D>> attempts, long deadline) {
        return attempt(paymentId, step, attempts, 0, deadline);
    }

    private <D> Future<D> attempt(String paymentId, String step, Supplier<Attempt<D>> attempts, int n, long deadline) {
        Attempt<D> a = attempts.get();
        // Until a turn comes: a failure before it (a token fetch) is timed from here.
        long[] t0 = {System.nanoTime()};
        boolean[] turned = new boolean[1];
        return a.send(request -> limiter.submit(
                        () -> {
                            turned[0] = true;
                            meters.calls.increment();
                            t0[0] = System.nanoTime();
                            return request.get();
                        },
                        InFlightLimiter::overloaded,
                        // Started later, it could not end before the deadline.
                        deadline - s.callTimeoutMs() - System.currentTimeMillis()))
                .transform(ar -> {
                    if (InFlightLimiter.notStarted(ar)) {
                        return Future.failedFuture(ar.cause());
                    }
                    Outcome<D> o = outcome(a, ar, t0[0], turned[0]);
                    if (o instanceof Decided<D> d) {
                        return Future.succeededFuture(d.value());
                    }
                    String why = a.redact(((Retry<D>) o).reason().replace(secret, "****"));
                    return backOff(paymentId, step, n, deadline, why)
                            .compose(v -> attempt(paymentId, step, attempts, n + 1, deadline));
                });
    }

    /** The attempt's outcome, metered; a failure (no answer) is a transient {@link Retry}. */
    private <D> Outcome<D> outcome(Attempt<D> a, AsyncResult<HttpResponse<Buffer>> ar, long t0, boolean turned) {
        if (ar.succeeded()) {
            Buffer body = ar.result().body();
            int status = ar.result().statusCode();
            Outcome<D> o = a.decide(status, body == null ? null : body.getBytes());
            if (o instanceof Retry<D> r) {
                latency(t0, ProviderMeters.Result.RETRY);
                // The HTTP status: a closed set of three digits, never anything the answer's body says.
                meters.retried(String.valueOf(status), r.configuration() ? "configuration" : "transient")
                        .increment();
                return new Retry<>(
                        r.configuration(),
                        (r.configuration() ? "configuration error, " + configurationHint + ": " : "transient: ")
                                + r.reason());
            }
            latency(t0, ProviderMeters.Result.ANSWERED);
            return o;
        }
        if (!turned) {
            // No turn (a token fetch failed): the failure is this attempt's call, counted as every other.
            meters.calls.increment();
        }
        boolean tooLarge = ar.cause() instanceof ProviderAnswerBody.TooLarge;
        latency(t0, tooLarge ? ProviderMeters.Result.OVERSIZE : ProviderMeters.Result.IO_ERROR);
        meters.retried(tooLarge ? "oversize" : "io", "transient").increment();
        return new Retry<>(false, "transient: " + ar.cause());
    }

    private void latency(long t0, ProviderMeters.Result result) {
        meters.request(result).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    }

    /** Waits a jittered back-off before the next try; fails if that try could not end by the deadline. */
    private Future<Void> backOff(String paymentId, String step, int n, long deadline, String why) {
        long ceiling = Math.min(s.retryMaxMs(), s.retryInitialMs() << Math.min(n, 20));
        long sleepMs = ThreadLocalRandom.current().nextLong(ceiling + 1);
        if (System.currentTimeMillis() + sleepMs + s.callTimeoutMs() > deadline) {
            meters.unavailable.increment();
            // Not the reason: it may quote the provider's answer.
            log.atWarn()
                    .addKeyValue(Logging.PAYMENT_ID, paymentId)
                    .log("no provider decision after {} attempts: the batch will be read again", n + 1);
            return Future.failedFuture(new ProviderUnavailableException("no answer for " + paymentId
                    + (step == null ? "" : " (" + step + ")") + " after " + (n + 1) + " attempts: " + why));
        }
        log.atDebug()
                .addKeyValue(Logging.PAYMENT_ID, paymentId)
                .log("provider answer decided nothing (attempt {}); asking again in {} ms", n + 1, sleepMs);
        Promise<Void> p = Promise.promise();
        vertx.setTimer(Math.max(1, sleepMs), t -> p.complete());
        return p.future();
    }
}
