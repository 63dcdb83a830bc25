package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sandbox's webhook sender, Stripe's format (issue 21 §2): an event signed as Stripe signs it
 * ({@code Stripe-Signature: t=..,v1=HMAC-SHA256("t.body")}, computed here independently of the
 * gateway's verifier), each delivery signed anew, retried with exponential backoff until a {@code 2xx}
 * or {@link #ATTEMPTS_MAX}, then sent again {@code duplicates} times, as Stripe sometimes does. Tests
 * trigger one with {@code POST /sandbox/webhooks/stripe} and get every delivery's status back.
 */
public final class SandboxWebhooks {
    /** Deliveries of one event until a 2xx, at most (Stripe retries for 3 days; a test cannot). */
    public static final int ATTEMPTS_MAX = 6;
    /** The first retry's delay; each next one doubles, up to {@link #BACKOFF_MS_MAX}. */
    public static final long BACKOFF_MS_INITIAL = 50;

    public static final long BACKOFF_MS_MAX = 2_000;
    /** Extra deliveries of an event already answered 2xx, at most. */
    public static final int DUPLICATES_MAX = 5;
    /** Events being delivered at once, at most; a trigger beyond gets 429. */
    public static final int EVENTS_IN_FLIGHT_MAX = 64;

    private final Vertx vertx;
    private final HttpClient client;
    private final String url;
    private final String secret;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** Sends to {@code url} (the gateway's {@code /v1/webhooks/stripe}), signing with {@code secret}. */
    public SandboxWebhooks(Vertx vertx, String url, String secret) {
        Check.argument(secret != null && !secret.isEmpty(), "a webhook secret is needed");
        this.vertx = vertx;
        this.client = vertx.createHttpClient();
        this.url = url;
        this.secret = secret;
    }

    /** The {@code Stripe-Signature} header of {@code body} at {@code timestampS}. */
    public static String signature(byte[] body, String secret, long timestampS) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampS + ".").getBytes(StandardCharsets.US_ASCII));
            return "t=" + timestampS + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is in every JDK", e);
        }
    }

    /**
     * A Stripe event about a payment intent: {@code type}, the intent's id and our payment id in its
     * metadata, as {@code StripeProvider} sets it. The same {@code eventId} makes the same body.
     */
    public static JsonObject event(String eventId, String type, String paymentIntent, String paymentId) {
        JsonObject metadata = new JsonObject();
        if (paymentId != null) {
            metadata.put("payment_id", paymentId);
        }
        String status = type.equals("payment_intent.succeeded")
                ? "succeeded"
                : type.equals("payment_intent.payment_failed") ? "requires_payment_method" : "processing";
        return new JsonObject()
                .put("id", eventId)
                .put("object", "event")
                .put("api_version", "2024-06-20")
                .put("type", type)
                .put("livemode", false)
                .put(
                        "data",
                        new JsonObject()
                                .put(
                                        "object",
                                        new JsonObject()
                                                .put("id", paymentIntent)
                                                .put("object", "payment_intent")
                                                .put("status", status)
                                                .put("metadata", metadata)));
    }

    /**
     * {@code POST /sandbox/webhooks/stripe} with {@code {"type", "payment_intent", "payment_id",
     * "event_id"?, "duplicates"?}}: delivers the event, then answers {@code {"id", "statuses"}}.
     */
    public void trigger(RoutingContext ctx) {
        JsonObject in;
        try {
            in = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            in = null;
        }
        if (in == null
                || !(in.getValue("type") instanceof String type)
                || !(in.getValue("payment_intent") instanceof String pi)) {
            ctx.response().setStatusCode(400).end("{\"error\":\"type and payment_intent are required\"}");
            return;
        }
        int duplicates = in.getInteger("duplicates", 0);
        if (duplicates < 0 || duplicates > DUPLICATES_MAX) {
            ctx.response().setStatusCode(400).end("{\"error\":\"duplicates must be 0.." + DUPLICATES_MAX + "\"}");
            return;
        }
        String eventId =
                in.getString("event_id", "evt_" + UUID.randomUUID().toString().replace("-", ""));
        if (inFlight.incrementAndGet() > EVENTS_IN_FLIGHT_MAX) {
            inFlight.decrementAndGet();
            ctx.response().setStatusCode(429).end("{\"error\":\"too many webhooks in flight\"}");
            return;
        }
        byte[] body =
                event(eventId, type, pi, in.getString("payment_id")).encode().getBytes(StandardCharsets.UTF_8);
        deliver(body, duplicates).onComplete(ar -> {
            inFlight.decrementAndGet();
            JsonArray statuses = new JsonArray(ar.succeeded() ? ar.result() : List.of());
            ctx.response()
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject()
                            .put("id", eventId)
                            .put("statuses", statuses)
                            .encode());
        });
    }

    /** Delivers until a 2xx (or {@link #ATTEMPTS_MAX}), then {@code duplicates} more; every status, in order (0: no answer). */
    public Future<List<Integer>> deliver(byte[] body, int duplicates) {
        List<Integer> statuses = new ArrayList<>();
        Promise<List<Integer>> done = Promise.promise();
        attempt(body, 1, BACKOFF_MS_INITIAL, duplicates, statuses, done);
        return done.future();
    }

    private void attempt(
            byte[] body,
            int attempt,
            long backoffMs,
            int duplicates,
            List<Integer> statuses,
            Promise<List<Integer>> done) {
        post(body).onComplete(ar -> {
            int status = ar.succeeded() ? ar.result() : 0;
            statuses.add(status);
            boolean delivered = status >= 200 && status < 300;
            if (delivered && duplicates > 0) {
                attempt(body, 1, BACKOFF_MS_INITIAL, duplicates - 1, statuses, done);
            } else if (delivered || attempt >= ATTEMPTS_MAX) {
                done.complete(statuses);
            } else {
                vertx.setTimer(
                        backoffMs,
                        id -> attempt(
                                body,
                                attempt + 1,
                                Math.min(BACKOFF_MS_MAX, backoffMs * 2),
                                duplicates,
                                statuses,
                                done));
            }
        });
    }

    private Future<Integer> post(byte[] body) {
        return client.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setAbsoluteURI(url)
                        .putHeader("Content-Type", "application/json; charset=utf-8")
                        .putHeader("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                        .putHeader("Stripe-Signature", signature(body, secret, System.currentTimeMillis() / 1_000)))
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    public Future<Void> close() {
        return client.close();
    }
}
