package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.ProblemType;
import com.streamsocial.billing.gateway.webhook.WebhookEvent.Provider;
import com.streamsocial.billing.gateway.webhook.WebhookMeters.Outcome;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code POST /v1/webhooks/stripe} and {@code /v1/webhooks/paypal}: the providers' events,
 * authenticated by their signature alone (no API key; Stripe's HMAC checked here, PayPal's through its
 * verification API), over the raw body bytes, never a re-encoding. Each delivery ends with one answer and
 * one count ({@link WebhookMeters}): {@code 200} once the event is taken ({@link WebhookIntake}) or
 * known, or acknowledged and dropped for a type the processor does not apply; otherwise a problem.
 */
public final class WebhookRoutes {
    /** Every webhook path starts here; the gateway's API-key check never sees these. */
    public static final String PATH_PREFIX = "/v1/webhooks/";

    public static final String STRIPE_PATH = PATH_PREFIX + "stripe";
    public static final String PAYPAL_PATH = PATH_PREFIX + "paypal";

    private final WebhookConfig config;
    private final WebhookIntake intake;
    private final PayPalVerifier paypal;
    private final WebhookMeters meters;
    private final LongSupplier nowMs;
    private final int retryAfterS;

    /** {@code nowMs}: the clock the signature's tolerance is measured with. */
    public WebhookRoutes(
            WebhookConfig config,
            WebhookIntake intake,
            PayPalVerifier paypal,
            WebhookMeters meters,
            LongSupplier nowMs,
            int retryAfterS) {
        this.config = config;
        this.intake = intake;
        this.paypal = paypal;
        this.meters = meters;
        this.nowMs = nowMs;
        this.retryAfterS = retryAfterS;
    }

    /** Mounts the endpoints; each ends its request, so no later route (the API key's) runs for it. */
    public void mount(Router router) {
        router.post(STRIPE_PATH).handler(ctx -> mediaType(ctx, Provider.STRIPE));
        // Its own route: Vert.x Web wants BodyHandler first on a route.
        router.post(STRIPE_PATH)
                .handler(BodyHandler.create(false).setBodyLimit(config.bodyBytesMax()))
                .handler(this::stripe)
                .failureHandler(ctx -> failed(ctx, Provider.STRIPE));
        router.post(PAYPAL_PATH).handler(ctx -> mediaType(ctx, Provider.PAYPAL));
        router.post(PAYPAL_PATH)
                .handler(BodyHandler.create(false).setBodyLimit(config.bodyBytesMax()))
                .handler(this::paypal)
                .failureHandler(ctx -> failed(ctx, Provider.PAYPAL));
    }

    /**
     * The signed headers first, then the body must be one strict JSON object (so that the raw bytes
     * spliced into PayPal's verification request are exactly one value), then PayPal's verdict
     * (asynchronous, bounded: {@link PayPalVerifier}), then taken as a Stripe event is.
     */
    private void paypal(RoutingContext ctx) {
        byte[] body =
                ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        long nowMs = this.nowMs.getAsLong();
        String missing = PayPalVerifier.Transmission.missing(ctx.request().headers());
        if (missing != null) {
            refuseSignature(ctx, Provider.PAYPAL, StripeSignature.Refusal.MISSING_HEADER, missing);
            return;
        }
        PayPalVerifier.Transmission t =
                PayPalVerifier.Transmission.from(ctx.request().headers());
        WebhookEvent.Decoded decoded = WebhookEvent.decode(Provider.PAYPAL, body);
        if (decoded.invalid() != null) {
            malformed(ctx, Provider.PAYPAL, decoded.invalid());
            return;
        }
        paypal.verify(t, body).onComplete(ar -> {
            PayPalVerifier.Verdict v = ar.succeeded() ? ar.result() : PayPalVerifier.Verdict.UNAVAILABLE;
            switch (v) {
                case VERIFIED -> take(ctx, decoded.event(), body, nowMs);
                case REFUSED ->
                    refuseSignature(
                            ctx,
                            Provider.PAYPAL,
                            StripeSignature.Refusal.SIGNATURE_MISMATCH,
                            PayPalVerifier.Transmission.SIG);
                case UNAVAILABLE ->
                    refuse(
                            ctx,
                            Provider.PAYPAL,
                            Outcome.UNAVAILABLE,
                            ProblemType.WEBHOOK_UNAVAILABLE.problem(
                                    "the signature could not be verified now", retryAfterS));
            }
        });
    }

    /** JSON only, refused before the body is read; a provider without a secret has no endpoint. */
    private void mediaType(RoutingContext ctx, Provider provider) {
        if (provider == Provider.STRIPE ? !config.stripeOn() : !config.paypalOn()) {
            refuse(ctx, provider, Outcome.NOT_CONFIGURED, ProblemType.NOT_FOUND.problem("no such resource"));
            return;
        }
        String type = ctx.request().getHeader("Content-Type");
        String base = type == null ? "" : type.split(";", 2)[0].strip();
        if (!base.equalsIgnoreCase("application/json")) {
            refuse(
                    ctx,
                    provider,
                    Outcome.UNSUPPORTED_MEDIA_TYPE,
                    ProblemType.UNSUPPORTED_MEDIA_TYPE.problem(
                            "a webhook body is application/json",
                            List.of(new Problem.FieldError("Content-Type", "must be application/json"))));
            return;
        }
        ctx.next();
    }

    private void stripe(RoutingContext ctx) {
        byte[] body =
                ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        long nowMs = this.nowMs.getAsLong();
        StripeSignature.Verdict verdict = StripeSignature.verify(
                ctx.request().getHeader("Stripe-Signature"),
                body,
                config.stripeSecrets(),
                Math.floorDiv(nowMs, 1_000L),
                config.stripeToleranceS());
        if (verdict instanceof StripeSignature.Verdict.Refused refused) {
            refuseSignature(ctx, Provider.STRIPE, refused.reason(), "Stripe-Signature");
            return;
        }
        WebhookEvent.Decoded decoded = WebhookEvent.decode(Provider.STRIPE, body);
        if (decoded.invalid() != null) {
            malformed(ctx, Provider.STRIPE, decoded.invalid());
            return;
        }
        take(ctx, decoded.event(), body, nowMs);
    }

    private void malformed(RoutingContext ctx, Provider provider, WebhookEvent.Invalid why) {
        refuse(
                ctx,
                provider,
                Outcome.MALFORMED_BODY,
                Problem.invalid(List.of(new Problem.FieldError(why.field(), why.detail()))));
    }

    /** A verified event: taken once, or acknowledged and dropped for a type not applied. */
    private void take(RoutingContext ctx, WebhookEvent event, byte[] body, long nowMs) {
        Provider provider = event.provider();
        if (!event.handled()) {
            // 2xx: a 4xx would make the provider retry an event no retry can change, for days.
            meters.count(provider, Outcome.IGNORED_TYPE);
            ok(ctx, new JsonObject().put("received", true).put("ignored", "event type not applied"));
            return;
        }
        intake.take(ctx.vertx().getOrCreateContext(), event, body, nowMs).onComplete(ar -> {
            if (ar.failed()) {
                refuse(
                        ctx,
                        provider,
                        Outcome.UNAVAILABLE,
                        ProblemType.WEBHOOK_UNAVAILABLE.problem("the event could not be recorded now", retryAfterS));
                return;
            }
            Outcome outcome = switch (ar.result()) {
                case ACCEPTED -> Outcome.ACCEPTED;
                case DUPLICATE -> Outcome.DUPLICATE;
                case DUPLICATE_BODY_DIFFERS -> Outcome.DUPLICATE_BODY_DIFFERS;
            };
            meters.count(provider, outcome);
            ok(ctx, new JsonObject().put("received", true).put("duplicate", outcome != Outcome.ACCEPTED));
        });
    }

    private void refuseSignature(RoutingContext ctx, Provider provider, StripeSignature.Refusal reason, String header) {
        record Answer(Outcome outcome, ProblemType type, String detail) {}
        Answer a = switch (reason) {
            case MISSING_HEADER ->
                new Answer(Outcome.MISSING_SIGNATURE, ProblemType.WEBHOOK_SIGNATURE_MISSING, "missing");
            case MALFORMED_HEADER, NO_SIGNATURE ->
                new Answer(
                        Outcome.MALFORMED_SIGNATURE,
                        ProblemType.WEBHOOK_SIGNATURE_MALFORMED,
                        "not the provider's signature format");
            case TIMESTAMP_OUT_OF_TOLERANCE ->
                new Answer(
                        Outcome.STALE_TIMESTAMP,
                        ProblemType.WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE,
                        "signed more than " + config.stripeToleranceS() + " s from now");
            case SIGNATURE_MISMATCH ->
                new Answer(
                        Outcome.BAD_SIGNATURE, ProblemType.WEBHOOK_SIGNATURE_INVALID, "matches no configured secret");
        };
        refuse(
                ctx,
                provider,
                a.outcome(),
                a.type().problem(header + ": " + a.detail(), List.of(new Problem.FieldError(header, a.detail()))));
    }

    /** The body handler's failure: over {@code webhook.bodyBytesMax} (413), or anything else (500). */
    private void failed(RoutingContext ctx, Provider provider) {
        if (ctx.statusCode() == 413) {
            refuse(
                    ctx,
                    provider,
                    Outcome.OVERSIZE,
                    ProblemType.WEBHOOK_BODY_TOO_LARGE.problem(
                            "the body is over " + config.bodyBytesMax() + " bytes",
                            List.of(new Problem.FieldError("body", "over " + config.bodyBytesMax() + " bytes"))));
            return;
        }
        refuse(
                ctx,
                provider,
                Outcome.UNAVAILABLE,
                ProblemType.INTERNAL_ERROR.problem("the request could not be handled"));
    }

    private void refuse(RoutingContext ctx, Provider provider, Outcome outcome, Problem p) {
        meters.count(provider, outcome);
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        if (!ctx.request().isEnded()) {
            // Refused before its body was read: close rather than drain it at the sender's pace.
            r.putHeader("connection", "close");
        }
        if (p.retryAfterS() != null) {
            r.putHeader("Retry-After", String.valueOf(p.retryAfterS()));
        }
        r.setStatusCode(p.status())
                .putHeader("content-type", Problem.MEDIA_TYPE)
                .end(p.encode(ctx.request().path()));
    }

    private static void ok(RoutingContext ctx, JsonObject json) {
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response()
                    .setStatusCode(200)
                    .putHeader("content-type", "application/json")
                    .end(json.encode());
        }
    }
}
