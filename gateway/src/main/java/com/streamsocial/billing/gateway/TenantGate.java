package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.auth.Authenticator;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.ProblemType;
import com.streamsocial.billing.gateway.limit.TenantRateLimiter;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;

/**
 * The {@code /v1/*} gate of one lane: the API key resolved to its tenant (401, or 429 for an address
 * spending its budget of refused keys), then the tenant's rate, reads and writes apart (429). A request
 * passing it carries its tenant under {@link #TENANT}.
 */
final class TenantGate {
    /** Where the authenticated tenant travels from the gate to the route. */
    static final String TENANT = "billing.tenant";

    private final Authenticator authenticator;
    private final GatewayVerticle.Limits limits;
    private final GatewayMeters metrics;
    private final int retryAfterS;

    TenantGate(Authenticator authenticator, GatewayVerticle.Limits limits, GatewayMeters metrics, int retryAfterS) {
        this.authenticator = authenticator;
        this.limits = limits;
        this.metrics = metrics;
        this.retryAfterS = retryAfterS;
    }

    /**
     * Resolves the tenant from {@code Authorization: Bearer <api key>}, or answers 401 (missing,
     * unknown or revoked key) or 503 (keys cannot be looked up). On a cache miss the request is paused
     * meanwhile, so that no body byte is lost before {@link BodyHandler} reads it.
     */
    void authenticate(RoutingContext ctx) {
        String address = clientAddress(ctx);
        // Charged before the work, not after the 401: a flood's requests in flight at once cannot all
        // pass the check before the first refusal is counted. A key cached as a tenant's is free, so a
        // tenant sharing the address (NAT, proxy) with a flood keeps working.
        Future<Authenticator.Outcome> f =
                authenticator.authenticate(ctx.request().getHeader("Authorization"), () -> {
                    TenantRateLimiter.Decision d = limits.authFailures().acquire(address, System.nanoTime());
                    return d.allowed() ? 0 : d.retryAfterS();
                });
        boolean paused = !f.isComplete();
        if (paused) {
            ctx.request().pause();
        }
        f.onComplete(ar -> {
            if (ar.failed()) {
                metrics.shed(GatewayMeters.Shed.AUTH_UNAVAILABLE);
                HttpEdge.problem(
                        ctx, ProblemType.AUTH_UNAVAILABLE.problem("API keys cannot be checked right now", retryAfterS));
            } else if (ar.result().refusal() == Authenticator.Refusal.THROTTLED) {
                metrics.shed(GatewayMeters.Shed.AUTH_THROTTLED);
                HttpEdge.problem(ctx, authThrottled(ar.result().retryAfterS()));
            } else if (ar.result().tenant() == null) {
                boolean missing = ar.result().refusal() == Authenticator.Refusal.MISSING;
                metrics.authRefused(missing ? "missing" : "invalid");
                HttpEdge.problem(ctx, unauthorized(missing));
            } else {
                admitTenant(ctx, ar.result().tenant(), paused);
            }
        });
    }

    /**
     * The peer's IP address, the key of its 401 budget (behind a proxy: the proxy's). The connection's
     * own address: Vert.x Web's request wrapper would run its Forwarded-header parser on every request
     * for an answer that is the same here (forwarding is not allowed), 2.6% of the event loops' samples.
     */
    private static String clientAddress(RoutingContext ctx) {
        return HttpEdge.address(ctx.request().connection());
    }

    private void admitTenant(RoutingContext ctx, String tenant, boolean paused) {
        // Reads and writes have their own buckets: a tenant polling its payments does not spend the
        // rate it pays with, and a tenant's payments do not starve its reads.
        HttpMethod method = ctx.request().method();
        boolean read = method == HttpMethod.GET || method == HttpMethod.HEAD;
        TenantRateLimiter.Decision d =
                (read ? limits.tenantReads() : limits.tenantWrites()).acquire(tenant, System.nanoTime());
        if (!d.allowed()) {
            metrics.shed(GatewayMeters.Shed.RATE_LIMITED);
            HttpEdge.problem(
                    ctx,
                    ProblemType.RATE_LIMITED.problem(
                            "this API key's tenant is over its request rate; retry after the Retry-After seconds",
                            d.retryAfterS()));
            return;
        }
        ctx.put(TENANT, tenant);
        // A POST's body is read by BodyHandler, which resumes the request itself.
        if (paused
                && ctx.request().method() != HttpMethod.POST
                && !ctx.request().isEnded()) {
            ctx.request().resume();
        }
        ctx.next();
    }

    static Problem authThrottled(int retryAfterS) {
        return ProblemType.AUTH_THROTTLED.problem(
                "this client address sent too many missing or invalid API keys; retry after the Retry-After seconds",
                retryAfterS);
    }

    static Problem unauthorized(boolean missing) {
        return ProblemType.UNAUTHORIZED.problem(
                missing
                        ? "send the header Authorization: Bearer <api key>"
                        : "the API key is not valid: unknown, revoked or malformed",
                List.of(new Problem.FieldError("Authorization", missing ? "missing" : "invalid")));
    }
}
