package com.streamsocial.billing.gateway;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.gateway.dispute.Disputes;
import com.streamsocial.billing.gateway.http.CustomerRegistration;
import com.streamsocial.billing.gateway.http.PaymentView;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.ProblemType;
import com.streamsocial.billing.gateway.http.RefundRequestValidator;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.gateway.ownership.CustomerVerifier;
import com.streamsocial.billing.gateway.ownership.OwnedKind;
import com.streamsocial.billing.gateway.ownership.Ownership;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.gateway.refund.RefundView;
import com.streamsocial.billing.gateway.refund.Refunds;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.gateway.store.OwnerStore;
import com.streamsocial.billing.gateway.tracing.RequestSpans;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * One lane's API routes behind the {@link TenantGate}: {@code POST /v1/payments} into the lane's
 * {@link CommitLane}, {@code GET /v1/payments/{id}} from the read pool, and {@code POST /v1/customers}
 * into the ownership registry. Each request is answered once, its problems from {@link ProblemType}.
 */
final class PaymentRoutes {
    private final CommitLane lane;
    private final IntentStore readStore;
    /** The read pool, for a payment's refunds; {@code refunds} serves the refund routes (issue 21 §1). */
    private final Pool readPool;

    private final Refunds refunds;
    private final OwnerStore ownerStore;
    private final Ownership ownership;
    /** Null when {@code gateway.ownership.verifyWithProvider=false}. */
    private final CustomerVerifier verifier;

    private final GatewayConfig config;
    private final GatewayMeters metrics;

    PaymentRoutes(
            CommitLane lane,
            IntentStore readStore,
            Pool readPool,
            Refunds refunds,
            OwnerStore ownerStore,
            Ownership ownership,
            CustomerVerifier verifier,
            GatewayConfig config,
            GatewayMeters metrics) {
        this.verifier = verifier;
        this.lane = lane;
        this.readStore = readStore;
        this.readPool = readPool;
        this.refunds = refunds;
        this.ownerStore = ownerStore;
        this.ownership = ownership;
        this.config = config;
        this.metrics = metrics;
    }

    /** The routes, each body bounded in time by {@code edge} and in size by its own limit. */
    void mount(Router router, HttpEdge edge) {
        // The Idempotency-Key first, on its own route, so a request without one is refused unread.
        router.post("/v1/payments").handler(this::requireKey);
        // Its own route: Vert.x Web wants BodyHandler first on a route.
        router.post("/v1/payments").handler(edge::bodyReadDeadline);
        router.post("/v1/payments")
                .handler(BodyHandler.create(false).setBodyLimit(RequestValidator.BODY_BYTES_MAX))
                .handler(edge::bodyRead)
                .handler(this::createPayment);
        router.get("/v1/payments/:id").handler(this::getPayment);
        // Refunds (issue 21 §1): the key first, then the bounded body; answered after both commits.
        router.post("/v1/payments/:id/refunds").handler(this::requireKey);
        router.post("/v1/payments/:id/refunds").handler(edge::bodyReadDeadline);
        router.post("/v1/payments/:id/refunds")
                .handler(BodyHandler.create(false).setBodyLimit(RefundRequestValidator.BODY_BYTES_MAX))
                .handler(edge::bodyRead)
                .handler(ctx -> refunds.create(ctx, ctx.get(TenantGate.TENANT), HttpEdge::problem));
        router.get("/v1/payments/:id/refunds/:refund_id")
                .handler(ctx -> refunds.get(ctx, readPool, ctx.get(TenantGate.TENANT), HttpEdge::problem));
        // Explicit registration in the ownership registry (issue 19 §1), off the hot path.
        router.post("/v1/customers").handler(edge::bodyReadDeadline);
        router.post("/v1/customers")
                .handler(BodyHandler.create(false).setBodyLimit(CustomerRegistration.BODY_BYTES_MAX))
                .handler(edge::bodyRead)
                .handler(this::registerCustomer);
    }

    /** Refuses a request without a valid key before its body is read. */
    private void requireKey(RoutingContext ctx) {
        Problem p = RequestValidator.checkKey(ctx.request().getHeader("Idempotency-Key"));
        if (p != null) {
            HttpEdge.problem(ctx, p);
        } else {
            ctx.next();
        }
    }

    private void createPayment(RoutingContext ctx) {
        RequestValidator.Result result = RequestValidator.validate(
                ctx.<String>get(TenantGate.TENANT),
                ctx.request().getHeader("Idempotency-Key"),
                ctx.request().getHeader("Content-Type"),
                ctx.body().buffer());
        if (result.problem() != null) {
            metrics.invalid.increment();
            HttpEdge.problem(ctx, result.problem());
            return;
        }
        var request = result.request().traced(RequestSpans.of(ctx));
        lane.submit(request, recordBytes(request)).onComplete(ar -> answer(ctx, request, ar));
    }

    /** The lane's answer to a payment: 202 new, 200/202 replayed, or its problem. */
    private void answer(RoutingContext ctx, PaymentRequest request, AsyncResult<CommitLane.Answer> ar) {
        if (ar.failed()) {
            HttpEdge.problem(
                    ctx,
                    ProblemType.UNAVAILABLE.problem(
                            "the payment was not accepted; retry with the same key", config.retryAfterS()));
            return;
        }
        CommitLane.Answer a = ar.result();
        switch (a.kind()) {
            case ACCEPTED -> payment(ctx, 202, request.paymentId(), PaymentView.json(request, "pending", null), false);
            case REPLAYED -> {
                metrics.replayed.increment();
                String status = PaymentView.publicStatus(a.ledgerStatus());
                payment(
                        ctx,
                        "pending".equals(status) ? 202 : 200,
                        request.paymentId(),
                        PaymentView.json(request, status, a.failureCode()),
                        true);
            }
            case IN_FLIGHT -> {
                metrics.conflict("in_flight");
                HttpEdge.problem(ctx, inFlight(config.retryAfterS()));
            }
            case KEY_REUSED -> {
                metrics.conflict("key_reused");
                HttpEdge.problem(ctx, keyReused());
            }
            case NOT_OWNED -> HttpEdge.problem(ctx, CustomerRegistration.notOwned());
            case OVER_SHARE -> HttpEdge.problem(ctx, overQueueShare(config.retryAfterS()));
            case UNAVAILABLE ->
                HttpEdge.problem(
                        ctx,
                        "draining".equals(a.reason())
                                ? HttpEdge.draining(config.retryAfterS())
                                : Problem.unavailable(
                                        a.reason(),
                                        "the payment was not accepted (" + a.reason()
                                                + "); retrying with the same key is safe",
                                        config.retryAfterS()));
        }
    }

    /** A tenant holding its fair share of the lane's queue: its own 429, the others keep their room. */
    static Problem overQueueShare(int retryAfterS) {
        return ProblemType.QUEUE_SHARE_EXCEEDED.problem(
                "this API key's tenant already has its fair share of the gateway's queue waiting; retry after"
                        + " the Retry-After seconds with the same key",
                retryAfterS);
    }

    static Problem inFlight(int retryAfterS) {
        return ProblemType.REQUEST_IN_FLIGHT.problem(
                "a request with the same Idempotency-Key is still being processed; retry later", retryAfterS);
    }

    static Problem keyReused() {
        return ProblemType.IDEMPOTENCY_KEY_REUSED.problem(
                "this Idempotency-Key was used with a different request body",
                List.of(new Problem.FieldError("Idempotency-Key", "reused with a different body")));
    }

    /**
     * Registers a customer and its payment methods to the caller's tenant once the provider confirms
     * them as its (unless verification is off): 201 when something is new, 200 when all was the
     * tenant's already, 409 when another tenant owns any of them, 422 when the provider does not confirm
     * them, 503 when it cannot be asked in time; nothing is registered unless 201 or 200.
     */
    private void registerCustomer(RoutingContext ctx) {
        String tenant = ctx.get(TenantGate.TENANT);
        CustomerRegistration.Result result = CustomerRegistration.validate(
                ctx.request().getHeader("Content-Type"), ctx.body().buffer(), config.ownership());
        if (result.problem() != null) {
            metrics.invalid.increment();
            HttpEdge.problem(ctx, result.problem());
            return;
        }
        CustomerRegistration.Request r = result.request();
        if (verifier == null) {
            register(ctx, tenant, r);
            return;
        }
        verifier.verify(tenant, r.customerId(), r.paymentMethods()).onComplete(ar -> {
            CustomerVerifier.Verdict v = ar.succeeded() ? ar.result() : new CustomerVerifier.Verdict(null, "error");
            if (v.verified()) {
                register(ctx, tenant, r);
            } else if (v.refusal() != null) {
                HttpEdge.problem(ctx, CustomerRegistration.notVerified(v.refusal()));
            } else {
                HttpEdge.problem(ctx, CustomerRegistration.providerUnavailable(v.unavailable(), config.retryAfterS()));
            }
        });
    }

    /** The registration itself, in one transaction: 201, 200 or 409 (the owner not named). */
    private void register(RoutingContext ctx, String tenant, CustomerRegistration.Request r) {
        List<OwnerStore.Id> ids = new ArrayList<>();
        ids.add(new OwnerStore.Id(OwnedKind.CUSTOMER, r.customerId()));
        r.paymentMethods().forEach(m -> ids.add(new OwnerStore.Id(OwnedKind.PAYMENT_METHOD, m)));
        ownerStore.register(tenant, ids).onComplete(ar -> {
            if (ar.failed()) {
                HttpEdge.problem(
                        ctx,
                        ProblemType.STORE_UNAVAILABLE.problem(
                                "the ownership registry is unreachable", config.retryAfterS()));
            } else if (ar.result() == OwnerStore.Outcome.OWNED_BY_ANOTHER) {
                metrics.conflict("owned_elsewhere");
                HttpEdge.problem(ctx, CustomerRegistration.ownedElsewhere());
            } else {
                ids.forEach(id -> ownership.learn(id.kind(), id.id(), tenant));
                ctx.response()
                        .setStatusCode(ar.result() == OwnerStore.Outcome.CREATED ? 201 : 200)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject()
                                .put("customer_id", r.customerId())
                                .put("payment_methods", new JsonArray(r.paymentMethods()))
                                .encode());
            }
        });
    }

    /**
     * What a request adds to its batch's transaction, for {@code gateway.batchBytesMax}: the billing
     * event (the request plus ids and keys) and the metrics event, both JSON, bounded by three times
     * the canonical request, which is itself at most the 16 KiB body.
     */
    private static int recordBytes(PaymentRequest request) {
        return 3 * request.canonical().length() + 2 * request.idempotencyKey().length();
    }

    private void getPayment(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!PaymentIds.looksLikePaymentId(id)) {
            HttpEdge.problem(ctx, paymentNotFound());
            return;
        }
        readStore.find(id, ctx.<String>get(TenantGate.TENANT)).onComplete(ar -> {
            if (ar.failed()) {
                metrics.shed(GatewayMeters.Shed.READS_UNAVAILABLE);
                HttpEdge.problem(
                        ctx,
                        ProblemType.STORE_UNAVAILABLE.problem(
                                "the payment store is unreachable", config.retryAfterS()));
            } else if (ar.result().isEmpty()) {
                HttpEdge.problem(ctx, paymentNotFound());
            } else {
                var p = ar.result().get();
                JsonObject view = PaymentView.of(
                        id, PaymentView.publicStatus(p.ledgerStatus()), p.failureCode(), new JsonObject(p.request()));
                Refunds.list(readPool, id, ctx.<String>get(TenantGate.TENANT))
                        .compose(refunds -> Disputes.list(readPool, id)
                                .map(disputes -> RefundView.addTo(view, refunds).put("disputes", disputes)))
                        .onComplete(lr -> {
                            if (lr.failed()) {
                                metrics.shed(GatewayMeters.Shed.READS_UNAVAILABLE);
                                HttpEdge.problem(
                                        ctx,
                                        ProblemType.STORE_UNAVAILABLE.problem(
                                                "the payment store is unreachable", config.retryAfterS()));
                            } else {
                                payment(ctx, 200, id, lr.result().encode(), false);
                            }
                        });
            }
        });
    }

    private static Problem paymentNotFound() {
        return ProblemType.PAYMENT_NOT_FOUND.problem("no payment has this id");
    }

    private static void payment(RoutingContext ctx, int status, String paymentId, String body, boolean replayed) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("content-type", "application/json");
        r.putHeader("Location", "/v1/payments/" + paymentId);
        if (replayed) {
            r.putHeader("Idempotent-Replayed", "true");
        }
        r.end(body);
    }
}
