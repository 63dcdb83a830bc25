package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.processor.ProcessorMeters;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PaymentProvider} adapter for Stripe's HTTP API, pointed at the sandbox or at Stripe by
 * its base URL and secret key. A new charge is {@code POST /v1/payment_intents} (form-encoded,
 * {@code confirm=true}) under the idempotency key of the payment id, never the client's key, so every
 * retry and every replay after a crash asks for the same charge. A charge whose intent is known from
 * an earlier, non-final answer is asked about with {@code GET /v1/payment_intents/{id}}.
 *
 * <p>{@link StripeAnswer} decides what each answer means. An answer about the payment (success,
 * decline, pending, mismatch) is returned; anything else, configuration errors included, is retried
 * with exponential back-off and full jitter until the batch deadline, and then fails the batch with
 * its reason: never an outcome.
 */
public final class StripeProvider implements PaymentProvider {
    private static final Logger log = LoggerFactory.getLogger(StripeProvider.class);

    /** {@code metadata[source]} of every charge this system makes; {@code metadata[tenant]} goes with it. */
    public static final String CHARGE_SOURCE = "streamsocial-billing";

    /**
     * Provider calls waiting for their turn at most (the limiter's queue): far above the batches of
     * all loops at once (3 × 2,000 by default), so only a runaway fills it; past it a batch fails.
     */
    static final int CALLS_WAITING_MAX = 100_000;

    /** Settings of the adapter; each wait and each count is bounded. */
    public record Options(
            String baseUrl,
            String secretKey,
            ProviderLimits limits,
            long callTimeoutMs,
            long retryInitialMs,
            long retryMaxMs,
            long deadlineMs) {
        /** Without the secret key: a record's own toString would print every component. */
        @Override
        public String toString() {
            return "StripeProvider.Options[baseUrl=" + baseUrl + ", secretKey=****, limits=" + limits + "]";
        }
    }

    private final Vertx vertx;
    private final Options o;
    private final WebClient client;
    private final InFlightLimiter limiter;
    private final ProviderMeters meters;
    private final ProviderAddress address;
    private final boolean idempotencyKeys;

    public StripeProvider(Vertx vertx, Options options, ProcessorMeters metrics) {
        this(vertx, options, metrics, true);
    }

    /**
     * With {@code idempotencyKeys} false, charges are created without an {@code Idempotency-Key}:
     * every call, retries included, may charge again. Only for the naive guarantees
     * ({@code processor.guarantee} other than exactly-once), which exist to show that.
     */
    public StripeProvider(Vertx vertx, Options options, ProcessorMeters metrics, boolean idempotencyKeys) {
        this.idempotencyKeys = idempotencyKeys;
        this.vertx = vertx;
        this.o = options;
        // Every provider.* series from the first scrape (the alerts' increase() needs a 0 before the 1).
        this.meters = new ProviderMeters(metrics);
        meters.pending();
        meters.mismatch();
        this.address = ProviderAddress.of(options.baseUrl());
        this.client =
                address.client(vertx, options.callTimeoutMs(), options.limits().inFlightMax());
        this.limiter = new InFlightLimiter(vertx, options.limits(), CALLS_WAITING_MAX, metrics);
    }

    /** One step: the charge is made, or asked about, by {@link #charge} alone. */
    @Override
    public Future<List<ChargeResult>> prepare(List<Charge> charges) {
        return Future.succeededFuture(List.of());
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        long deadline = System.currentTimeMillis() + o.deadlineMs();
        List<Future<ChargeResult>> calls = new ArrayList<>(charges.size());
        for (Charge c : charges) {
            calls.add(attempt(c, 0, deadline));
        }
        return Future.all(calls).map(all -> {
            List<ChargeResult> out = new ArrayList<>(charges.size());
            for (Future<ChargeResult> f : calls) {
                out.add(f.result());
            }
            return out;
        });
    }

    /**
     * One HTTP call for the charge, in its turn at the limiter (each retry takes a new turn, so that
     * a back-off holds no slot and every call counts against the rate), then its answer decided.
     */
    private Future<ChargeResult> attempt(Charge c, int attempt, long deadline) {
        long[] t0 = new long[1];
        return limiter.submit(
                        () -> {
                            meters.calls.increment();
                            t0[0] = System.nanoTime();
                            return send(c);
                        },
                        InFlightLimiter::overloaded,
                        // Started later, it could not end before the deadline.
                        deadline - o.callTimeoutMs() - System.currentTimeMillis())
                .transform(ar -> InFlightLimiter.notStarted(ar)
                        ? Future.failedFuture(ar.cause())
                        : answered(c, ar, t0[0], attempt, deadline));
    }

    private Future<HttpResponse<Buffer>> send(Charge c) {
        // A payment whose intent is known is asked about: a POST under the same key would only
        // replay the first, undecided answer for 24 h.
        var request = c.intentId() != null
                ? client.get(address.port(), address.host(), address.path("/v1/payment_intents/" + enc(c.intentId())))
                : client.post(address.port(), address.host(), address.path("/v1/payment_intents"))
                        .putHeader("Content-Type", "application/x-www-form-urlencoded");
        if (c.intentId() == null && idempotencyKeys) {
            request.putHeader("Idempotency-Key", c.paymentId());
        }
        request.ssl(address.ssl()).timeout(o.callTimeoutMs()).putHeader("Authorization", "Bearer " + o.secretKey());
        // The answer is untrusted input: read up to its bound, then decoded totally by StripeAnswer.
        var capped = request.as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX));
        return c.intentId() != null ? capped.send() : capped.sendBuffer(Buffer.buffer(form(c)));
    }

    /** The answer's decision: a result, or a retry (until the deadline) of what decided nothing. */
    private Future<ChargeResult> answered(
            Charge c, AsyncResult<HttpResponse<Buffer>> ar, long t0, int attempt, long deadline) {
        String why;
        if (ar.succeeded()) {
            Buffer body = ar.result().body();
            StripeAnswer.Decision d =
                    StripeAnswer.decide(c, ar.result().statusCode(), body == null ? null : body.getBytes());
            if (d instanceof StripeAnswer.Answered a) {
                latency(t0, ProviderMeters.Result.ANSWERED);
                count(a.result());
                if (a.result().verdict() == Verdict.MISMATCH) {
                    log.atWarn()
                            .addKeyValue(Logging.PAYMENT_ID, c.paymentId())
                            .log("the provider answered for another amount or currency: a break");
                }
                return Future.succeededFuture(a.result());
            }
            StripeAnswer.Retry r = (StripeAnswer.Retry) d;
            latency(t0, ProviderMeters.Result.RETRY);
            // The HTTP status: a closed set of three digits, never anything the answer's body says.
            meters.retried(String.valueOf(ar.result().statusCode()), r.configuration() ? "configuration" : "transient")
                    .increment();
            why = (r.configuration()
                            ? "configuration error, check provider.baseUrl and provider.secretKey: "
                            : "transient: ")
                    + r.reason();
        } else {
            boolean tooLarge = ar.cause() instanceof ProviderAnswerBody.TooLarge;
            latency(t0, tooLarge ? ProviderMeters.Result.OVERSIZE : ProviderMeters.Result.IO_ERROR);
            meters.retried(tooLarge ? "oversize" : "io", "transient").increment();
            why = "transient: " + ar.cause();
        }
        // An endpoint that echoes our key must not put it into logs, exceptions or readiness.
        return retry(c, attempt, deadline, why.replace(o.secretKey(), "****"));
    }

    /** One call's latency; {@code result}: answered, retry (an answer that decides nothing), io_error. */
    private void latency(long t0, ProviderMeters.Result result) {
        meters.request(result).record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private void count(ChargeResult r) {
        switch (r.verdict()) {
            case PENDING -> meters.pending().increment();
            case MISMATCH -> meters.mismatch().increment();
            default -> {}
        }
    }

    private Future<ChargeResult> retry(Charge c, int attempt, long deadline, String why) {
        long ceiling = Math.min(o.retryMaxMs(), o.retryInitialMs() << Math.min(attempt, 20));
        long sleepMs = ThreadLocalRandom.current().nextLong(ceiling + 1);
        if (System.currentTimeMillis() + sleepMs + o.callTimeoutMs() > deadline) {
            meters.unavailable.increment();
            // Not the reason: it may quote the provider's answer.
            log.atWarn()
                    .addKeyValue(Logging.PAYMENT_ID, c.paymentId())
                    .log("no provider decision after {} attempts: the batch will be read again", attempt + 1);
            return Future.failedFuture(new ProviderUnavailableException(
                    "no answer for " + c.paymentId() + " after " + (attempt + 1) + " attempts: " + why));
        }
        log.atDebug()
                .addKeyValue(Logging.PAYMENT_ID, c.paymentId())
                .log("provider answer decided nothing (attempt {}); asking again in {} ms", attempt + 1, sleepMs);
        Promise<ChargeResult> p = Promise.promise();
        vertx.setTimer(
                Math.max(1, sleepMs), t -> attempt(c, attempt + 1, deadline).onComplete(p));
        return p.future();
    }

    /**
     * The create-and-confirm request, with only parameters Stripe takes. Redirect-based methods are
     * turned off: Stripe refuses a server-side confirmation that could redirect the customer and has
     * no return_url.
     */
    static String form(Charge c) {
        StringBuilder f = new StringBuilder()
                .append("amount=")
                .append(c.amount())
                .append("&currency=")
                .append(enc(c.currency().toLowerCase(Locale.ROOT)));
        if (c.customerId() != null && !c.customerId().isEmpty()) {
            f.append("&customer=").append(enc(c.customerId()));
        }
        return f.append("&payment_method=")
                .append(enc(c.paymentMethod()))
                .append("&confirm=true")
                .append("&automatic_payment_methods%5Benabled%5D=true")
                .append("&automatic_payment_methods%5Ballow_redirects%5D=never")
                .append("&metadata%5Bpayment_id%5D=")
                .append(enc(c.paymentId()))
                // Our marker: on a shared account, reconciliation refunds an orphan only if it carries it.
                .append("&metadata%5Bsource%5D=")
                .append(enc(CHARGE_SOURCE))
                .append("&metadata%5Btenant%5D=")
                .append(enc(c.tenant()))
                .toString();
    }

    static String enc(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }
}
