package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.contract.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@link PaymentProvider} adapter for Stripe's HTTP API ({@code POST /v1/payment_intents},
 * form-encoded, {@code confirm=true}), pointed at the sandbox or at Stripe by its base URL and secret
 * key. The idempotency key is the payment id, never the client's key, so every retry and every replay
 * after a crash asks for the same charge.
 *
 * <p>Transient answers (timeout, 5xx, 429, 409 {@code idempotency_key_in_use}, a lost connection,
 * 401/403 which only configuration can fix) are retried with exponential back-off and full jitter
 * until the batch deadline, then fail the batch: never an outcome. A decline (402) or a permanent
 * 4xx is an outcome, {@code failed} with its code, and is never retried.
 */
public final class StripeProvider implements PaymentProvider {
    /** {@code metadata[source]} of every charge this system makes; {@code metadata[tenant]} goes with it. */
    public static final String CHARGE_SOURCE = "streamsocial-billing";

    /** Settings of the adapter; each wait and each count is bounded. */
    public record Options(
            String baseUrl,
            String secretKey,
            int inFlightMax,
            long callTimeoutMs,
            long retryInitialMs,
            long retryMaxMs,
            long deadlineMs) {}

    private final Vertx vertx;
    private final Options o;
    private final WebClient client;
    private final InFlightLimiter limiter;
    private final Metrics metrics;
    private final String host;
    private final int port;
    private final boolean ssl;

    public StripeProvider(Vertx vertx, Options options, Metrics metrics) {
        this.vertx = vertx;
        this.o = options;
        this.metrics = metrics;
        ProviderAddress address = ProviderAddress.of(options.baseUrl());
        this.ssl = address.ssl();
        this.host = address.host();
        this.port = address.port();
        this.client = WebClient.create(
                vertx,
                new WebClientOptions().setSsl(ssl).setKeepAlive(true).setConnectTimeout((int)
                        Math.min(options.callTimeoutMs(), Integer.MAX_VALUE)),
                new PoolOptions().setHttp1MaxSize(options.inFlightMax()));
        this.limiter = new InFlightLimiter(options.inFlightMax(), 100_000);
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        long deadline = System.currentTimeMillis() + o.deadlineMs();
        List<Future<ChargeResult>> calls = new ArrayList<>(charges.size());
        for (Charge c : charges) {
            calls.add(limiter.submit(() -> attempt(c, 0, deadline)));
        }
        return Future.all(calls).map(all -> {
            List<ChargeResult> out = new ArrayList<>(charges.size());
            for (Future<ChargeResult> f : calls) {
                out.add(f.result());
            }
            return out;
        });
    }

    private Future<ChargeResult> attempt(Charge c, int attempt, long deadline) {
        metrics.counter("provider_calls_total", "Calls to the payment provider").increment();
        return client.post(port, host, "/v1/payment_intents")
                .ssl(ssl)
                .timeout(o.callTimeoutMs())
                .putHeader("Authorization", "Bearer " + o.secretKey())
                .putHeader("Idempotency-Key", c.paymentId())
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .sendBuffer(Buffer.buffer(form(c)))
                .transform(ar -> {
                    if (ar.succeeded()) {
                        ChargeResult decided = decide(c, ar.result());
                        if (decided != null) {
                            return Future.succeededFuture(decided);
                        }
                        metrics.counter(
                                        "provider_transient_total{status=\""
                                                + ar.result().statusCode() + "\"}",
                                        "Transient provider answers, retried")
                                .increment();
                    } else {
                        metrics.counter(
                                        "provider_transient_total{status=\"io\"}",
                                        "Transient provider answers, retried")
                                .increment();
                    }
                    return retry(
                            c,
                            attempt,
                            deadline,
                            ar.succeeded()
                                    ? "HTTP " + ar.result().statusCode()
                                    : ar.cause().toString());
                });
    }

    private Future<ChargeResult> retry(Charge c, int attempt, long deadline, String why) {
        long ceiling = Math.min(o.retryMaxMs(), o.retryInitialMs() << Math.min(attempt, 20));
        long sleepMs = ThreadLocalRandom.current().nextLong(ceiling + 1);
        if (System.currentTimeMillis() + sleepMs + o.callTimeoutMs() > deadline) {
            metrics.counter("provider_unavailable_total", "Charges left undecided at the batch deadline")
                    .increment();
            return Future.failedFuture(new ProviderUnavailableException(
                    "no answer for " + c.paymentId() + " after " + (attempt + 1) + " attempts: " + why));
        }
        Promise<ChargeResult> p = Promise.promise();
        vertx.setTimer(
                Math.max(1, sleepMs), t -> attempt(c, attempt + 1, deadline).onComplete(p));
        return p.future();
    }

    /** The outcome an answer settles, or null when it is transient. */
    static ChargeResult decide(Charge c, HttpResponse<Buffer> r) {
        int status = r.statusCode();
        JsonObject body = jsonOrEmpty(r.bodyAsString());
        if (status == 200) {
            String st = body.getString("status");
            if ("succeeded".equals(st)) {
                return new ChargeResult(
                        c.paymentId(), true, body.getString("latest_charge", body.getString("id")), null);
            }
            return new ChargeResult(c.paymentId(), false, body.getString("id"), "status_" + st);
        }
        JsonObject error = body.getJsonObject("error", new JsonObject());
        if (status == 402) {
            String code = error.getString("decline_code", error.getString("code", "card_declined"));
            return new ChargeResult(c.paymentId(), false, null, code);
        }
        if (status == 400 || status == 404) {
            String code = error.getString("code", error.getString("type", "invalid_request"));
            return new ChargeResult(c.paymentId(), false, null, code);
        }
        return null; // 401, 403, 409, 429, 5xx and anything else: transient
    }

    private static JsonObject jsonOrEmpty(String s) {
        try {
            return s == null || s.isEmpty() ? new JsonObject() : new JsonObject(s);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }

    private static String form(Charge c) {
        return "amount=" + c.amount()
                + "&currency=" + enc(c.currency().toLowerCase(Locale.ROOT))
                + "&customer=" + enc(c.customerId())
                + "&payment_method=" + enc(c.paymentMethod())
                + "&confirm=true"
                + "&metadata%5Bpayment_id%5D=" + enc(c.paymentId())
                // Our marker: on a shared account, reconciliation refunds an orphan only if it carries it.
                + "&metadata%5Bsource%5D=" + enc(CHARGE_SOURCE)
                + "&metadata%5Btenant%5D=" + enc(c.tenant());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }
}
