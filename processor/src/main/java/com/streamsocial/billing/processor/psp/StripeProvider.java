package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.logging.Logging;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
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
 * by {@link ProviderCalls} until the batch deadline, and then fails the batch with its reason: never
 * an outcome.
 */
public final class StripeProvider implements PaymentProvider, RefundProvider {
    private static final Logger log = LoggerFactory.getLogger(StripeProvider.class);

    /** {@code metadata[source]} of every charge this system makes; {@code metadata[tenant]} goes with it. */
    public static final String CHARGE_SOURCE = "streamsocial-billing";

    /** Settings of the adapter; each wait and each count is bounded. */
    public record Options(
            String baseUrl,
            String secretKey,
            ProviderLimits limits,
            long callTimeoutMs,
            long retryInitialMs,
            long retryMaxMs,
            long deadlineMs)
            implements ProviderCalls.Bounds {
        /** Without the secret key: a record's own toString would print every component. */
        @Override
        public String toString() {
            return "StripeProvider.Options[baseUrl=" + baseUrl + ", secretKey=****, limits=" + limits + "]";
        }
    }

    private final Options o;
    private final ProviderClients clients;
    private final ProviderCalls calls;
    private final ProviderAddress address;
    private final boolean idempotencyKeys;

    public StripeProvider(Vertx vertx, Options options, ProcessorMeters metrics) {
        this(vertx, options, metrics, true);
    }

    /**
     * With {@code idempotencyKeys} false, charges are created without an {@code Idempotency-Key}:
     * every call, retries included, may charge again. Only for the naive guarantees, which exist to
     * show that ({@link com.streamsocial.billing.processor.guarantee.Guarantee#providerIdempotencyKeys}).
     */
    public StripeProvider(Vertx vertx, Options options, ProcessorMeters metrics, boolean idempotencyKeys) {
        this(vertx, options, metrics, idempotencyKeys, Tracing.off());
    }

    /** Each HTTP call in a client span of {@code tracing} (the no-op tracer: none, the context carried on). */
    public StripeProvider(
            Vertx vertx, Options options, ProcessorMeters metrics, boolean idempotencyKeys, Tracing tracing) {
        this.idempotencyKeys = idempotencyKeys;
        this.o = options;
        this.calls = new ProviderCalls(
                vertx, options, options.secretKey(), "check provider.baseUrl and provider.secretKey", metrics, tracing);
        // Counted by this adapter alone: registered with it.
        calls.meters.pending();
        calls.meters.mismatch();
        this.address = ProviderAddress.of(options.baseUrl());
        this.clients =
                address.clients(vertx, options.callTimeoutMs(), options.limits().inFlightMax());
    }

    /** One step: the charge is made, or asked about, by {@link #charge} alone. */
    @Override
    public Future<List<ChargeResult>> prepare(List<Charge> charges) {
        return Future.succeededFuture(List.of());
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        long deadline = calls.deadline();
        return ProviderCalls.each(charges, c -> calls.untilDecided(c.paymentId(), null, () -> attempt(c), deadline));
    }

    /**
     * One HTTP call for the charge, in its turn at the limiter (each retry takes a new turn, so that
     * a back-off holds no slot and every call counts against the rate), and its answer decided.
     */
    private ProviderCalls.Attempt<ChargeResult> attempt(Charge c) {
        return new ProviderCalls.Attempt<>() {
            @Override
            public Future<HttpResponse<Buffer>> send(ProviderCalls.Turn turn) {
                return turn.take(() -> request(c));
            }

            @Override
            public ProviderCalls.Outcome<ChargeResult> decide(int status, byte[] body) {
                return decided(c, StripeAnswer.decide(c, status, body));
            }
        };
    }

    private Future<HttpResponse<Buffer>> request(Charge c) {
        // A payment whose intent is known is asked about: a POST under the same key would only
        // replay the first, undecided answer for 24 h.
        var request = c.intentId() != null
                ? clients.next()
                        .get(address.port(), address.host(), address.path("/v1/payment_intents/" + enc(c.intentId())))
                : clients.next()
                        .post(address.port(), address.host(), address.path("/v1/payment_intents"))
                        .putHeader("Content-Type", "application/x-www-form-urlencoded");
        if (c.intentId() == null && idempotencyKeys) {
            request.putHeader("Idempotency-Key", c.paymentId());
        }
        request.ssl(address.ssl()).timeout(o.callTimeoutMs()).putHeader("Authorization", "Bearer " + o.secretKey());
        boolean get = c.intentId() != null;
        return calls.client(
                get ? "GET" : "POST",
                get ? "/v1/payment_intents/{id}" : "/v1/payment_intents",
                address,
                request,
                c.trace(),
                r -> {
                    // The answer is untrusted input: read up to its bound, then decoded totally by StripeAnswer.
                    var capped = r.as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX));
                    return get ? capped.send() : capped.sendBuffer(Buffer.buffer(form(c)));
                });
    }

    /** The decision as the helper takes it; a pending or mismatched answer counted. */
    private ProviderCalls.Outcome<ChargeResult> decided(Charge c, StripeAnswer.Decision d) {
        if (d instanceof StripeAnswer.Retry r) {
            return new ProviderCalls.Retry<>(r.configuration(), r.reason());
        }
        ChargeResult result = ((StripeAnswer.Answered) d).result();
        switch (result.verdict()) {
            case PENDING -> calls.meters.pending().increment();
            case MISMATCH -> {
                calls.meters.mismatch().increment();
                log.atWarn()
                        .addKeyValue(Logging.PAYMENT_ID, c.paymentId())
                        .log("the provider answered for another amount or currency: a break");
            }
            default -> {}
        }
        return new ProviderCalls.Decided<>(result);
    }

    /**
     * Refunds, each {@code POST /v1/refunds} under the idempotency key of its refund id (issue 21 §1),
     * asked until an answer decides it or the batch's deadline passes.
     */
    @Override
    public Future<List<RefundResult>> refund(List<RefundCall> refunds) {
        long deadline = calls.deadline();
        List<Future<RefundResult>> each = new java.util.ArrayList<>(refunds.size());
        for (RefundCall c : refunds) {
            each.add(calls.untilDecided(c.paymentId(), "refund", () -> refundAttempt(c), deadline));
        }
        return Future.all(each).map(done -> each.stream().map(Future::result).toList());
    }

    private ProviderCalls.Attempt<RefundResult> refundAttempt(RefundCall c) {
        return new ProviderCalls.Attempt<>() {
            @Override
            public Future<HttpResponse<Buffer>> send(ProviderCalls.Turn turn) {
                return turn.take(() -> calls.client(
                        "POST",
                        "/v1/refunds",
                        address,
                        clients.next().post(address.port(), address.host(), address.path("/v1/refunds")),
                        c.trace(),
                        r -> r.putHeader("Content-Type", "application/x-www-form-urlencoded")
                                .putHeader(
                                        "Idempotency-Key",
                                        com.streamsocial.billing.refund.RefundIds.providerKey(c.refundId()))
                                .putHeader("Authorization", "Bearer " + o.secretKey())
                                .ssl(address.ssl())
                                .timeout(o.callTimeoutMs())
                                .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                                .sendBuffer(Buffer.buffer(refundForm(c)))));
            }

            @Override
            public ProviderCalls.Outcome<RefundResult> decide(int status, byte[] body) {
                RefundAnswer.Decision d = RefundAnswer.stripe(c, status, body);
                return d instanceof RefundAnswer.Decided decided
                        ? new ProviderCalls.Decided<>(decided.result())
                        : new ProviderCalls.Retry<>(
                                ((RefundAnswer.Retry) d).configuration(), ((RefundAnswer.Retry) d).reason());
            }
        };
    }

    /**
     * Pending refunds asked about, each {@code GET /v1/refunds/{id}} by the provider's refund id: never
     * a POST, so never a second refund, whatever the idempotency key's age.
     */
    @Override
    public Future<List<RefundResult>> lookup(List<RefundLookup> lookups) {
        long deadline = calls.deadline();
        List<Future<RefundResult>> each = new java.util.ArrayList<>(lookups.size());
        for (RefundLookup l : lookups) {
            each.add(calls.untilDecided(l.paymentId(), "refund lookup", () -> lookupAttempt(l), deadline));
        }
        return Future.all(each).map(done -> each.stream().map(Future::result).toList());
    }

    private ProviderCalls.Attempt<RefundResult> lookupAttempt(RefundLookup l) {
        return new ProviderCalls.Attempt<>() {
            @Override
            public Future<HttpResponse<Buffer>> send(ProviderCalls.Turn turn) {
                return turn.take(() -> calls.client(
                        "GET",
                        "/v1/refunds/{id}",
                        address,
                        clients.next()
                                .get(
                                        address.port(),
                                        address.host(),
                                        address.path("/v1/refunds/" + enc(l.providerRef()))),
                        l.trace(),
                        r -> r.putHeader("Authorization", "Bearer " + o.secretKey())
                                .ssl(address.ssl())
                                .timeout(o.callTimeoutMs())
                                .as(ProviderAnswerBody.capped(StripeAnswer.PROVIDER_ANSWER_BYTES_MAX))
                                .send()));
            }

            @Override
            public ProviderCalls.Outcome<RefundResult> decide(int status, byte[] body) {
                RefundAnswer.Decision d = RefundAnswer.stripeLookup(l.asCall(), l.providerRef(), status, body);
                return d instanceof RefundAnswer.Decided decided
                        ? new ProviderCalls.Decided<>(decided.result())
                        : new ProviderCalls.Retry<>(
                                ((RefundAnswer.Retry) d).configuration(), ((RefundAnswer.Retry) d).reason());
            }
        };
    }

    /**
     * The refund request: the charge (or payment intent), the amount, Stripe's reason, our ids. Public:
     * a test makes the processor's exact request under its key, as a processor that crashed would have.
     */
    public static String refundForm(RefundCall c) {
        String object = c.chargeRef().startsWith("pi_") ? "payment_intent=" : "charge=";
        StringBuilder f = new StringBuilder(object)
                .append(enc(c.chargeRef()))
                .append("&amount=")
                .append(c.amountMinor());
        if (c.reason() != null) {
            f.append("&reason=").append(enc(c.reason()));
        }
        return f.append("&metadata%5Brefund_id%5D=")
                .append(enc(c.refundId()))
                .append("&metadata%5Bpayment_id%5D=")
                .append(enc(c.paymentId()))
                .append("&metadata%5Bsource%5D=")
                .append(enc(CHARGE_SOURCE))
                .append("&metadata%5Btenant%5D=")
                .append(enc(c.tenant()))
                .toString();
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
