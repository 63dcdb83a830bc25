package com.streamsocial.billing.gateway.ownership;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Asks the provider (Stripe's API) whose a customer and its payment methods are before {@code POST
 * /v1/customers} registers them: the customer's {@code metadata[tenant]} must be the caller's tenant
 * and each payment method's {@code customer} that customer. Asynchronous and bounded (at most
 * {@code verifyInFlightMax} per lane, each within {@code verifyTimeoutMs}); one per lane, used on its
 * event loop only.
 */
public final class CustomerVerifier {
    /** The metadata key the platform sets on each provider customer it creates for a tenant. */
    public static final String TENANT_METADATA = "tenant";

    /** Why the provider's answer refuses a registration: closed set, sent as the problem's {@code reason}. */
    public enum Refusal {
        NOT_FOUND("not_found"),
        TENANT_MISMATCH("tenant_mismatch"),
        PAYMENT_METHOD_NOT_ATTACHED("payment_method_not_attached");

        public final String reason;

        Refusal(String reason) {
            this.reason = reason;
        }
    }

    /**
     * The verdict: verified (both null), refused ({@code refusal}), or unavailable ({@code unavailable},
     * one of {@code timeout}, {@code in_flight_max}, {@code error}).
     */
    public record Verdict(Refusal refusal, String unavailable) {
        public static final Verdict VERIFIED = new Verdict(null, null);

        public boolean verified() {
            return refusal == null && unavailable == null;
        }
    }

    /** One provider answer read: a verdict about this id, or null when it passes. */
    record Checked(Verdict verdict) {}

    /** A hung call is closed this long after its verification has been answered {@code timeout}. */
    static final long IDLE_MARGIN_MS = 1_000;

    private final VerificationConfig config;
    private final HttpClient client;
    private final Consumer<String> outcomes;
    private int inFlight;

    /** {@code outcomes}: told each verification's outcome ({@code verified}, a refusal's or unavailability's reason). */
    public CustomerVerifier(Vertx vertx, VerificationConfig config, Consumer<String> outcomes) {
        this.config = config;
        this.outcomes = outcomes;
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setSsl(config.baseUrl().startsWith("https:"))
                        .setKeepAlive(true)
                        .setConnectTimeout((int) config.timeoutMs()),
                // The wait queue is bounded by the verifications in flight, each asking 1 + 16 ids at most.
                new PoolOptions().setHttp1MaxSize(config.inFlightMax()).setMaxWaitQueueSize(-1));
    }

    /** Whether the provider says {@code customerId} is {@code tenant}'s and every method is attached to it. */
    public Future<Verdict> verify(String tenant, String customerId, List<String> paymentMethods) {
        if (inFlight >= config.inFlightMax()) {
            return Future.succeededFuture(count(new Verdict(null, "in_flight_max")));
        }
        inFlight++;
        // The slot is freed when the calls end (their idle timeout), not when the answer is given up on.
        Future<Verdict> calls = get("/v1/customers/", customerId)
                .map(r -> customer(r.status, r.body, tenant))
                .compose(c ->
                        c.verdict != null ? Future.succeededFuture(c.verdict) : methods(customerId, paymentMethods))
                .andThen(ar -> inFlight--);
        return calls.timeout(config.timeoutMs(), TimeUnit.MILLISECONDS)
                .otherwise(e ->
                        new Verdict(null, e instanceof java.util.concurrent.TimeoutException ? "timeout" : "error"))
                .map(this::count);
    }

    private Verdict count(Verdict v) {
        outcomes.accept(v.verified() ? "verified" : v.refusal != null ? v.refusal.reason : v.unavailable);
        return v;
    }

    /** Every payment method at once; the first refusal or unavailability in the list's order wins. */
    private Future<Verdict> methods(String customerId, List<String> paymentMethods) {
        List<Future<Checked>> checks = new ArrayList<>();
        for (String m : paymentMethods) {
            checks.add(get("/v1/payment_methods/", m).map(r -> paymentMethod(r.status, r.body, customerId)));
        }
        return Future.all(checks).map(all -> {
            for (Future<Checked> c : checks) {
                if (c.result().verdict != null) {
                    return c.result().verdict;
                }
            }
            return Verdict.VERIFIED;
        });
    }

    /**
     * A customer's answer, total: 200 with {@code metadata.tenant} equal to {@code tenant} passes; 404,
     * or a deleted customer, is {@code not_found}; 200 with another or no tenant is {@code
     * tenant_mismatch}; anything else (401, 429, 5xx, not JSON) unavailable.
     */
    static Checked customer(int status, Buffer body, String tenant) {
        if (status == 404) {
            return new Checked(new Verdict(Refusal.NOT_FOUND, null));
        }
        JsonObject json = status == 200 ? json(body) : null;
        if (json == null || !"customer".equals(json.getValue("object"))) {
            return new Checked(new Verdict(null, "error"));
        }
        if (Boolean.TRUE.equals(json.getValue("deleted"))) {
            return new Checked(new Verdict(Refusal.NOT_FOUND, null));
        }
        Object metadata = json.getValue("metadata");
        Object owner = metadata instanceof JsonObject m ? m.getValue(TENANT_METADATA) : null;
        return tenant.equals(owner) ? new Checked(null) : new Checked(new Verdict(Refusal.TENANT_MISMATCH, null));
    }

    /**
     * A payment method's answer, total: 200 with {@code customer} equal to {@code customerId} (a string,
     * or an expanded object with that {@code id}) passes; 404 is {@code not_found}; 200 attached to
     * another customer or none is {@code payment_method_not_attached}; anything else unavailable.
     */
    static Checked paymentMethod(int status, Buffer body, String customerId) {
        if (status == 404) {
            return new Checked(new Verdict(Refusal.NOT_FOUND, null));
        }
        JsonObject json = status == 200 ? json(body) : null;
        if (json == null || !"payment_method".equals(json.getValue("object"))) {
            return new Checked(new Verdict(null, "error"));
        }
        Object c = json.getValue("customer");
        Object id = c instanceof JsonObject expanded ? expanded.getValue("id") : c;
        return customerId.equals(id)
                ? new Checked(null)
                : new Checked(new Verdict(Refusal.PAYMENT_METHOD_NOT_ATTACHED, null));
    }

    private static JsonObject json(Buffer b) {
        try {
            return new JsonObject(b);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private record Response(int status, Buffer body) {}

    private Future<Response> get(String path, String id) {
        return client.request(new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setAbsoluteURI(config.baseUrl() + path + URLEncoder.encode(id, StandardCharsets.UTF_8))
                        .setFollowRedirects(false)
                        // Past the verification's own deadline, which answers first; this frees the slot.
                        .setIdleTimeout(config.timeoutMs() + IDLE_MARGIN_MS)
                        .putHeader("Authorization", "Bearer " + config.secretKey()))
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), b)));
    }

    public Future<Void> close() {
        return client.close();
    }
}
