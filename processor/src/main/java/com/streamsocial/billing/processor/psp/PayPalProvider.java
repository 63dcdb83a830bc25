package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.tracing.Tracing;
import io.micrometer.core.instrument.Counter;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The {@link PaymentProvider} adapter for PayPal's Orders API v2, pointed at the sandbox or at
 * PayPal by its base URL and client credentials. A charge takes two steps, each under a request id
 * derived from the payment id, so that every retry and every replay after a crash asks for the same
 * effect: {@code POST /v2/checkout/orders} ({@code PayPal-Request-Id: create:<payment id>}), then
 * {@code POST /v2/checkout/orders/{id}/capture} ({@code PayPal-Request-Id: capture:<payment id>}).
 *
 * <p>{@link #prepare} makes the first step alone and returns each order's id as a pending answer, so
 * that the orchestrator stores it (the payment's {@code provider_intent}) before {@link #charge}
 * captures it: a payment whose order is known is captured, never ordered again. Each makes one step:
 * the caller sequences them ({@code BatchOrchestrator}); {@link #charge} of a payment without an order
 * fails.
 *
 * <p>The OAuth2 token (client credentials) is cached, shared by all calls, and fetched again before
 * it expires or when PayPal rejects it. {@link PayPalAnswer} decides what each answer means; what is
 * not an answer about the payment is retried by {@link ProviderCalls} until the batch deadline, then
 * fails the batch: never an outcome. Single-threaded: one Vert.x context.
 *
 * <p>An amount PayPal cannot take exactly ({@link PayPalAmounts}: a currency outside PayPal's table,
 * or a fraction of a currency PayPal takes in whole units, as HUF 1234.50) is declined here, {@code
 * failed} with {@code paypal_currency_not_supported} or {@code paypal_decimals_not_supported}, without any
 * call to PayPal.
 */
public final class PayPalProvider implements PaymentProvider, RefundProvider {
    /** Characters of an access token at most: PayPal's are about a hundred; a longer one is refused. */
    static final int TOKEN_CHARS_MAX = 2_048;

    /** A token is fetched again this long before it expires (at most half its lifetime). */
    static final long TOKEN_REFRESH_MARGIN_MS = 300_000;

    /** Characters of a purchase unit's {@code custom_id} and {@code description} at most, as PayPal's. */
    static final int CUSTOM_ID_CHARS_MAX = 127;

    /** Settings of the adapter; each wait and each count is bounded. */
    public record Options(
            String baseUrl,
            String clientId,
            String clientSecret,
            ProviderLimits limits,
            long callTimeoutMs,
            long retryInitialMs,
            long retryMaxMs,
            long deadlineMs)
            implements ProviderCalls.Bounds {
        @Override
        public String toString() {
            return "PayPalProvider.Options[baseUrl=" + baseUrl + ", clientId=" + clientId
                    + ", clientSecret=****, limits=" + limits + "]";
        }
    }

    private final Options o;
    private final ProviderClients clients;
    private final ProviderCalls calls;
    private final Counter tokenFetches;
    private final ProviderAddress address;
    private final String basic;
    private String token;
    private long tokenRefreshAtMs;
    private Future<String> fetching;

    public PayPalProvider(Vertx vertx, Options options, ProcessorMeters metrics) {
        this(vertx, options, metrics, Tracing.off());
    }

    /** Each HTTP call in a client span of {@code tracing} (the no-op tracer: none, the context carried on). */
    public PayPalProvider(Vertx vertx, Options options, ProcessorMeters metrics, Tracing tracing) {
        this.o = options;
        this.calls = new ProviderCalls(
                vertx,
                options,
                options.clientSecret(),
                "check provider.baseUrl, provider.clientId and provider.clientSecret",
                metrics,
                tracing);
        // Counted by this adapter alone: registered with it.
        this.tokenFetches = calls.meters.tokenFetches();
        this.address = ProviderAddress.of(options.baseUrl());
        this.clients =
                address.clients(vertx, options.callTimeoutMs(), options.limits().inFlightMax());
        this.basic = basicAuth(options.clientId(), options.clientSecret());
    }

    @Override
    public Future<List<ChargeResult>> prepare(List<Charge> charges) {
        long deadline = calls.deadline();
        return all(
                charges,
                c -> create(c, deadline)
                        .map(d -> d instanceof PayPalAnswer.Created created
                                ? ChargeResult.pending(c.paymentId(), created.orderId(), "order created")
                                : ((PayPalAnswer.Answered) d).result()));
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        long deadline = calls.deadline();
        // One step: the caller sequences the two (BatchOrchestrator), and stores each order first.
        return all(
                charges,
                c -> c.intentId() != null
                        ? capture(c, c.intentId(), deadline)
                        : Future.failedFuture(new IllegalArgumentException(
                                "no order to capture for " + c.paymentId() + ": create it with prepare first")));
    }

    /** Each charge's step; an amount PayPal cannot take exactly declined here, with no call. */
    private static Future<List<ChargeResult>> all(List<Charge> charges, Function<Charge, Future<ChargeResult>> each) {
        return ProviderCalls.each(charges, c -> {
            if (PayPalAmounts.toPayPal(c.amount(), c.currency()) instanceof PayPalAmounts.Refused r) {
                // PayPal would refuse it (422 CURRENCY_NOT_SUPPORTED or DECIMALS_NOT_SUPPORTED), and rounding
                // would charge another amount than accepted: a decline here, with no call to PayPal.
                return Future.succeededFuture(new ChargeResult(
                        c.paymentId(),
                        PaymentProvider.Verdict.FAILED,
                        null,
                        r.refusal().failureCode(),
                        null,
                        r.reason()));
            }
            return each.apply(c);
        });
    }

    /** Creates the payment's order: {@link PayPalAnswer.Created} or an {@link PayPalAnswer.Answered}. */
    private Future<PayPalAnswer.Decision> create(Charge c, long deadline) {
        String body = orderBody(c).encode();
        return call(
                c,
                "create",
                t -> calls.client(
                        "POST",
                        "/v2/checkout/orders",
                        address,
                        clients.next().post(address.port(), address.host(), address.path("/v2/checkout/orders")),
                        c.trace(),
                        r -> r.putHeader("PayPal-Request-Id", "create:" + c.paymentId())
                                .putHeader("Content-Type", "application/json")
                                .putHeader("Authorization", "Bearer " + t)
                                .ssl(address.ssl())
                                .timeout(o.callTimeoutMs())
                                .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                                .sendBuffer(Buffer.buffer(body))),
                (status, bytes) -> PayPalAnswer.created(c, status, bytes),
                deadline);
    }

    /** One PayPal object (an order, a refund) read with the access token, in a client span: both look-ups. */
    private Future<HttpResponse<Buffer>> authorisedGet(String route, String path, SpanContext trace, String token) {
        return calls.client(
                "GET",
                route,
                address,
                clients.next().get(address.port(), address.host(), path),
                trace,
                r -> r.putHeader("Authorization", "Bearer " + token)
                        .ssl(address.ssl())
                        .timeout(o.callTimeoutMs())
                        .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                        .send());
    }

    /** Captures the order; an order already captured under another request is looked up. */
    private Future<ChargeResult> capture(Charge c, String orderId, long deadline) {
        String path = address.path("/v2/checkout/orders/" + StripeProvider.enc(orderId));
        return call(
                        c,
                        "capture",
                        t -> calls.client(
                                "POST",
                                "/v2/checkout/orders/{id}/capture",
                                address,
                                clients.next().post(address.port(), address.host(), path + "/capture"),
                                c.trace(),
                                r -> r.putHeader("PayPal-Request-Id", "capture:" + c.paymentId())
                                        .putHeader("Content-Type", "application/json")
                                        .putHeader("Authorization", "Bearer " + t)
                                        .ssl(address.ssl())
                                        .timeout(o.callTimeoutMs())
                                        .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                                        .sendBuffer(Buffer.buffer("{}"))),
                        (status, bytes) -> PayPalAnswer.captured(c, orderId, status, bytes),
                        deadline)
                .compose(d -> d instanceof PayPalAnswer.LookUp
                        ? call(
                                c,
                                "lookup",
                                t -> authorisedGet("/v2/checkout/orders/{id}", path, c.trace(), t),
                                (status, bytes) -> {
                                    PayPalAnswer.Decision l = PayPalAnswer.captured(c, orderId, status, bytes);
                                    return l instanceof PayPalAnswer.LookUp
                                            ? new PayPalAnswer.Retry(false, false, "look-up answered 422")
                                            : l;
                                },
                                deadline)
                        : Future.succeededFuture(d))
                .map(d -> ((PayPalAnswer.Answered) d).result());
    }

    /**
     * Refunds, each {@code POST /v2/payments/captures/{id}/refund} with {@code PayPal-Request-Id} of its
     * refund id (issue 21 §1); an amount PayPal cannot take exactly is refused here, with no call.
     */
    @Override
    public Future<List<RefundResult>> refund(List<RefundCall> refunds) {
        long deadline = calls.deadline();
        List<Future<RefundResult>> each = new java.util.ArrayList<>(refunds.size());
        for (RefundCall c : refunds) {
            each.add(
                    PayPalAmounts.toPayPal(c.amountMinor(), c.currency()) instanceof PayPalAmounts.Value v
                            ? refundCapture(c, v.value(), deadline)
                            : Future.succeededFuture(
                                    new RefundResult(c.refundId(), false, null, "paypal_amount_not_supported")));
        }
        return Future.all(each).map(done -> each.stream().map(Future::result).toList());
    }

    /**
     * Pending refunds asked about, each {@code GET /v2/payments/refunds/{id}} by PayPal's refund id:
     * never a POST, so never a second refund.
     */
    @Override
    public Future<List<RefundResult>> lookup(List<RefundLookup> lookups) {
        long deadline = calls.deadline();
        List<Future<RefundResult>> each = new java.util.ArrayList<>(lookups.size());
        for (RefundLookup l : lookups) {
            String value = PayPalAmounts.toPayPal(l.amountMinor(), l.currency()) instanceof PayPalAmounts.Value v
                    ? v.value()
                    : "";
            String path = address.path("/v2/payments/refunds/" + StripeProvider.enc(l.providerRef()));
            each.add(calls.untilDecided(
                    l.paymentId(),
                    "refund lookup",
                    () -> new RefundAttempt(l.asCall(), value, path, null, l.providerRef(), deadline),
                    deadline));
        }
        return Future.all(each).map(done -> each.stream().map(Future::result).toList());
    }

    private Future<RefundResult> refundCapture(RefundCall c, String value, long deadline) {
        String body = new io.vertx.core.json.JsonObject()
                .put(
                        "amount",
                        new io.vertx.core.json.JsonObject().put("value", value).put("currency_code", c.currency()))
                .put("custom_id", c.refundId())
                .put("note_to_payer", c.reason() == null ? "refund" : c.reason())
                .encode();
        String path = address.path("/v2/payments/captures/" + StripeProvider.enc(c.chargeRef()) + "/refund");
        return calls.untilDecided(
                c.paymentId(), "refund", () -> new RefundAttempt(c, value, path, body, null, deadline), deadline);
    }

    /**
     * One try of a refund ({@code lookupRef} null: the POST with {@code body}) or of its lookup ({@code
     * GET} of PayPal's refund {@code lookupRef}): the token first, then the request in its turn; the
     * token masked in reasons.
     */
    private final class RefundAttempt implements ProviderCalls.Attempt<RefundResult> {
        private final RefundCall c;
        private final String value;
        private final String path;
        private final String body;
        private final String lookupRef;
        private final long deadline;
        private String used;

        RefundAttempt(RefundCall c, String value, String path, String body, String lookupRef, long deadline) {
            this.c = c;
            this.value = value;
            this.path = path;
            this.body = body;
            this.lookupRef = lookupRef;
            this.deadline = deadline;
        }

        @Override
        public Future<HttpResponse<Buffer>> send(ProviderCalls.Turn turn) {
            return token(deadline).compose(t -> {
                used = t;
                if (lookupRef != null) {
                    return turn.take(() -> authorisedGet("/v2/payments/refunds/{id}", path, c.trace(), t));
                }
                return turn.take(() -> calls.client(
                        "POST",
                        "/v2/payments/captures/{id}/refund",
                        address,
                        clients.next().post(address.port(), address.host(), path),
                        c.trace(),
                        r -> r.putHeader(
                                        "PayPal-Request-Id",
                                        com.streamsocial.billing.refund.RefundIds.providerKey(c.refundId()))
                                .putHeader("Content-Type", "application/json")
                                .putHeader("Authorization", "Bearer " + t)
                                .ssl(address.ssl())
                                .timeout(o.callTimeoutMs())
                                .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                                .sendBuffer(Buffer.buffer(body))));
            });
        }

        @Override
        public ProviderCalls.Outcome<RefundResult> decide(int status, byte[] answer) {
            RefundAnswer.Decision d = lookupRef != null
                    ? RefundAnswer.paypalLookup(c, value, lookupRef, status, answer)
                    : RefundAnswer.paypal(c, value, status, answer);
            if (d instanceof RefundAnswer.Decided decided) {
                return new ProviderCalls.Decided<>(decided.result());
            }
            RefundAnswer.Retry r = (RefundAnswer.Retry) d;
            if (r.tokenRejected()) {
                invalidate(used);
            }
            return new ProviderCalls.Retry<>(r.configuration(), r.reason());
        }

        @Override
        public String redact(String why) {
            return used == null ? why : why.replace(used, "****");
        }
    }

    /**
     * One step, asked (by {@link ProviderCalls}) until it gives an answer about the payment: a {@link
     * PayPalAnswer.Decision} other than {@link PayPalAnswer.Retry}, or a failure at the deadline.
     */
    private Future<PayPalAnswer.Decision> call(
            Charge c,
            String step,
            Function<String, Future<HttpResponse<Buffer>>> send,
            BiFunction<Integer, byte[], PayPalAnswer.Decision> decide,
            long deadline) {
        return calls.untilDecided(c.paymentId(), step, () -> new Attempt(send, decide, deadline), deadline);
    }

    /** One try of a step: the token first, then the request in its turn; the token is masked in reasons. */
    private final class Attempt implements ProviderCalls.Attempt<PayPalAnswer.Decision> {
        private final Function<String, Future<HttpResponse<Buffer>>> send;
        private final BiFunction<Integer, byte[], PayPalAnswer.Decision> decide;
        private final long deadline;
        private String used;

        Attempt(
                Function<String, Future<HttpResponse<Buffer>>> send,
                BiFunction<Integer, byte[], PayPalAnswer.Decision> decide,
                long deadline) {
            this.send = send;
            this.decide = decide;
            this.deadline = deadline;
        }

        @Override
        public Future<HttpResponse<Buffer>> send(ProviderCalls.Turn turn) {
            // The token first, outside the limiter: its fetch is shared by every call waiting for it.
            return token(deadline).compose(t -> {
                used = t;
                return turn.take(() -> send.apply(t));
            });
        }

        @Override
        public ProviderCalls.Outcome<PayPalAnswer.Decision> decide(int status, byte[] body) {
            PayPalAnswer.Decision d = decide.apply(status, body);
            if (!(d instanceof PayPalAnswer.Retry r)) {
                return new ProviderCalls.Decided<>(d);
            }
            if (r.tokenRejected()) {
                invalidate(used);
            }
            return new ProviderCalls.Retry<>(r.configuration(), r.reason());
        }

        @Override
        public String redact(String why) {
            return used == null ? why : why.replace(used, "****");
        }
    }

    // ---- The OAuth2 token ----

    /** The cached token, or one fetched now (one fetch at a time, shared by every call waiting). */
    private Future<String> token(long deadline) {
        if (token != null && System.currentTimeMillis() < tokenRefreshAtMs) {
            return Future.succeededFuture(token);
        }
        if (fetching == null || fetching.isComplete()) {
            fetching = fetchToken().andThen(ar -> fetching = null);
        }
        return fetching;
    }

    /** A token PayPal refused (expired early, revoked): the next call fetches another. */
    private void invalidate(String rejected) {
        if (rejected != null && rejected.equals(token)) {
            token = null;
        }
    }

    private Future<String> fetchToken() {
        tokenFetches.increment();
        long requestedAt = System.currentTimeMillis();
        return clients.next()
                .post(address.port(), address.host(), address.path("/v1/oauth2/token"))
                .putHeader("Authorization", basic)
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .ssl(address.ssl())
                .timeout(o.callTimeoutMs())
                .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                .sendBuffer(Buffer.buffer("grant_type=client_credentials"))
                .compose(r -> {
                    TokenAnswer t = TokenAnswer.decode(
                            r.statusCode(), r.body() == null ? null : r.body().getBytes());
                    if (t.token() == null) {
                        return Future.failedFuture(new IllegalStateException(t.error()));
                    }
                    token = t.token();
                    long lifetimeMs = t.expiresInS() * 1000;
                    tokenRefreshAtMs = requestedAt + lifetimeMs - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
                    return Future.succeededFuture(token);
                });
    }

    /** The token endpoint's {@code Authorization}: HTTP Basic of the client id and secret. */
    public static String basicAuth(String clientId, String clientSecret) {
        return "Basic "
                + Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
    }

    /** A token answer decoded totally: a token and its lifetime, or why there is none. */
    public record TokenAnswer(String token, long expiresInS, String error) {
        public static TokenAnswer decode(int status, byte[] body) {
            if (status == 401) {
                return new TokenAnswer(
                        null,
                        0,
                        "HTTP 401 from the token endpoint: configuration error, check provider.clientId and provider.clientSecret");
            }
            JsonObject root;
            try {
                root = body == null ? null : new JsonObject(new String(body, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                root = null;
            }
            if (status != 200 || root == null) {
                return new TokenAnswer(null, 0, "HTTP " + status + " from the token endpoint");
            }
            Object t = root.getValue("access_token");
            Object e = root.getValue("expires_in");
            if (!(t instanceof String s)
                    || s.isEmpty()
                    || s.length() > TOKEN_CHARS_MAX
                    || !(e instanceof Integer || e instanceof Long)
                    || ((Number) e).longValue() <= 0
                    || ((Number) e).longValue() > 366L * 24 * 3600) {
                return new TokenAnswer(null, 0, "HTTP 200 from the token endpoint without a token and its lifetime");
            }
            return new TokenAnswer(s, ((Number) e).longValue(), null);
        }
    }

    // ---- Requests ----

    /** The order: intent CAPTURE, one purchase unit, the payer's method as its payment source. */
    static JsonObject orderBody(Charge c) {
        JsonObject unit = new JsonObject()
                .put("reference_id", "default")
                .put("custom_id", c.paymentId())
                // Transaction Search lists it: reconciliation's marker and tenant, unique per payment.
                .put("invoice_id", truncate(invoiceId(c.tenant(), c.paymentId())))
                .put("description", truncate(StripeProvider.CHARGE_SOURCE + " tenant " + c.tenant()))
                .put(
                        "amount",
                        new JsonObject().put("currency_code", c.currency()).put("value", PayPalAnswer.asked(c)));
        return new JsonObject()
                .put("intent", "CAPTURE")
                .put("purchase_units", new JsonArray().add(unit))
                .put(
                        "payment_source",
                        new JsonObject()
                                .put(
                                        "token",
                                        new JsonObject()
                                                .put("id", c.paymentMethod())
                                                .put("type", "BILLING_AGREEMENT")));
    }

    /**
     * The {@code invoice_id} of a payment's order: this system's marker, the tenant and the payment
     * id, so that reconciliation tells our captures from another system's and whose each is; unique
     * per payment, as PayPal's duplicate-invoice check wants; at most 121 characters (a tenant is at
     * most 64, a payment id 36).
     */
    public static String invoiceId(String tenant, String paymentId) {
        return StripeProvider.CHARGE_SOURCE + ":" + tenant + ":" + paymentId;
    }

    private static String truncate(String s) {
        return s.length() <= CUSTOM_ID_CHARS_MAX ? s : s.substring(0, CUSTOM_ID_CHARS_MAX);
    }
}
