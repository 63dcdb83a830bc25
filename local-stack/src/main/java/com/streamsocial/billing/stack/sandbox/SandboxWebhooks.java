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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sandbox's webhook sender (issue 21 §2), in Stripe's and PayPal's formats: an event signed as the
 * provider signs it (Stripe: {@code Stripe-Signature: t=..,v1=HMAC-SHA256("t.body")}, each delivery
 * signed anew; PayPal: the {@code PAYPAL-*} headers of one transmission, see {@link #paypalSignature}),
 * computed here independently of the gateway's verifier, retried with exponential backoff until a
 * {@code 2xx} or {@link #ATTEMPTS_MAX}, then sent again {@code duplicates} times, as both providers
 * sometimes do. Tests trigger one with {@code POST /sandbox/webhooks/stripe} or {@code
 * /sandbox/webhooks/paypal} and get every delivery's status back.
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

    /** The key the sandbox "signs" PayPal deliveries with, standing in for PayPal's certificate's. */
    public static final String PAYPAL_SIGNING_KEY = "sandbox-paypal-webhook-signing-key";
    /** What a forged PayPal delivery is signed with (a test's {@code "forged": true}). */
    static final String PAYPAL_FORGING_KEY = "not-paypal's-key";

    private final Vertx vertx;
    private final HttpClient client;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Makes what an event announces in the sandbox's records before it is sent (AnnouncedRefunds). */
    private final BiFunction<String, JsonObject, Future<Void>> announce;

    public SandboxWebhooks(Vertx vertx, BiFunction<String, JsonObject, Future<Void>> announce) {
        this.vertx = vertx;
        this.client = vertx.createHttpClient();
        this.announce = announce;
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
                                                .put("object", objectKind(type))
                                                .put("status", status)
                                                .put("metadata", metadata)));
    }

    /** The kind of object a Stripe event of {@code type} is about. */
    private static String objectKind(String type) {
        if (type.startsWith("charge.dispute.")) {
            return "dispute";
        }
        return type.startsWith("charge.") ? "charge" : type.startsWith("refund.") ? "refund" : "payment_intent";
    }

    /**
     * {@code POST /sandbox/webhooks/stripe} with {@code {"type", "payment_intent" (the object's id),
     * "payment_id"?, "event_id"?, "duplicates"?, "object"?}} ({@link #merge}): delivers the event to {@code url} signed with {@code secret}, then
     * answers {@code {"id", "statuses"}}.
     */
    public void triggerStripe(RoutingContext ctx, String url, String secret) {
        Check.argument(secret != null && !secret.isEmpty(), "a webhook secret is needed");
        JsonObject in = request(ctx, "payment_intent");
        if (in == null) {
            return;
        }
        String eventId =
                in.getString("event_id", "evt_" + UUID.randomUUID().toString().replace("-", ""));
        JsonObject event =
                event(eventId, in.getString("type"), in.getString("payment_intent"), in.getString("payment_id"));
        merge(event.getJsonObject("data").getJsonObject("object"), in.getValue("object"));
        announced(ctx, "stripe", event, () -> {
            byte[] body = event.encode().getBytes(StandardCharsets.UTF_8);
            Delivery d = new Delivery(
                    url,
                    body,
                    () -> Map.of(
                            "User-Agent",
                            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                            "Stripe-Signature",
                            signature(body, secret, System.currentTimeMillis() / 1_000)));
            send(ctx, d, in.getInteger("duplicates"), new JsonObject().put("id", eventId));
        });
    }

    /**
     * Runs {@code then} once what {@code event} announces is in the sandbox's records (a forged event
     * announces nothing); a refund that cannot be recorded answers the trigger 400 and sends nothing.
     */
    private void announced(RoutingContext ctx, String provider, JsonObject event, Runnable then) {
        Future<Void> recorded;
        try {
            recorded = announce.apply(provider, event);
        } catch (AnnouncedRefunds.Refused e) {
            recorded = Future.failedFuture(e);
        }
        recorded.onSuccess(v -> then.run())
                .onFailure(e -> ctx.response()
                        .setStatusCode(e instanceof AnnouncedRefunds.Refused ? 400 : 500)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject()
                                .put("error", String.valueOf(e.getMessage()))
                                .encode()));
    }

    /**
     * {@code POST /sandbox/webhooks/paypal} with {@code {"type", "capture" (the resource's id), "payment_id"?,
     * "event_id"?, "duplicates"?, "forged"?, "object"?}} ({@link #merge}): delivers the event to {@code url} as one transmission to webhook
     * {@code webhookId} (every retry and duplicate resends it, headers unchanged), then answers {@code
     * {"id", "transmission_id", "statuses"}}. {@code "forged": true} signs it with another key.
     */
    public void triggerPayPal(RoutingContext ctx, String url, String webhookId) {
        JsonObject in = request(ctx, "capture");
        if (in == null) {
            return;
        }
        String eventId =
                in.getString("event_id", "WH-" + SandboxProvider.randomId().toUpperCase(Locale.ROOT));
        JsonObject event =
                paypalEvent(eventId, in.getString("type"), in.getString("capture"), in.getString("payment_id"));
        merge(event.getJsonObject("resource"), in.getValue("object"));
        boolean forged = in.getBoolean("forged", false);
        Runnable deliver = () -> {
            String transmissionId = UUID.randomUUID().toString();
            String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            String key = forged ? PAYPAL_FORGING_KEY : PAYPAL_SIGNING_KEY;
            Map<String, String> headers = Map.of(
                    "User-Agent",
                    "PayPal/AUHD-214.0-58245474",
                    "PAYPAL-TRANSMISSION-ID",
                    transmissionId,
                    "PAYPAL-TRANSMISSION-TIME",
                    time,
                    "PAYPAL-TRANSMISSION-SIG",
                    paypalSignature(key, transmissionId, time, webhookId, event),
                    "PAYPAL-CERT-URL",
                    "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-sandbox",
                    "PAYPAL-AUTH-ALGO",
                    "SHA256withRSA");
            send(
                    ctx,
                    new Delivery(url, event.encode().getBytes(StandardCharsets.UTF_8), () -> headers),
                    in.getInteger("duplicates"),
                    new JsonObject().put("id", eventId).put("transmission_id", transmissionId));
        };
        if (forged) {
            deliver.run();
        } else {
            announced(ctx, "paypal", event, deliver);
        }
    }

    /**
     * A PayPal event about a capture: {@code type}, the capture's id and our payment id as its {@code
     * custom_id}, as {@code PayPalProvider} sets it. The same arguments make the same body.
     */
    public static JsonObject paypalEvent(String eventId, String type, String capture, String paymentId) {
        JsonObject resource = new JsonObject().put("id", capture).put("status", paypalStatus(type));
        if (paymentId != null) {
            resource.put("custom_id", paymentId);
        }
        return new JsonObject()
                .put("id", eventId)
                .put("event_version", "1.0")
                .put("create_time", "2026-12-07T07:00:00.000Z")
                .put(
                        "resource_type",
                        type.startsWith("CUSTOMER.DISPUTE")
                                ? "dispute"
                                : type.equals("PAYMENT.CAPTURE.REFUNDED") ? "refund" : "capture")
                .put("resource_version", "2.0")
                .put("event_type", type)
                .put("summary", "Sandbox event " + type)
                .put("resource", resource);
    }

    /**
     * A trigger's {@code "object"}: fields set on the event's object over the defaults, so a test sends
     * a refund (amount, currency, status, charge), a dispute (amount, reason, status) or any other kind
     * in the provider's own shape. Null values remove a default field.
     */
    static void merge(JsonObject object, Object overrides) {
        if (overrides instanceof JsonObject o) {
            for (String k : o.fieldNames()) {
                if (o.getValue(k) == null) {
                    object.remove(k);
                } else {
                    object.put(k, o.getValue(k));
                }
            }
        }
    }

    private static String paypalStatus(String type) {
        return switch (type) {
            case "PAYMENT.CAPTURE.COMPLETED" -> "COMPLETED";
            case "PAYMENT.CAPTURE.DENIED" -> "DECLINED";
            // Its resource is the refund (not the capture), completed.
            case "PAYMENT.CAPTURE.REFUNDED" -> "COMPLETED";
            default -> "PENDING";
        };
    }

    /** The trigger's JSON with {@code type} and {@code objectField}, or null once answered 400. */
    private static JsonObject request(RoutingContext ctx, String objectField) {
        JsonObject in;
        try {
            in = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            in = null;
        }
        if (in == null || !(in.getValue("type") instanceof String) || !(in.getValue(objectField) instanceof String)) {
            ctx.response().setStatusCode(400).end("{\"error\":\"type and " + objectField + " are required\"}");
            return null;
        }
        int duplicates = in.getValue("duplicates") instanceof Integer d ? d : in.containsKey("duplicates") ? -1 : 0;
        if (duplicates < 0 || duplicates > DUPLICATES_MAX) {
            ctx.response().setStatusCode(400).end("{\"error\":\"duplicates must be 0.." + DUPLICATES_MAX + "\"}");
            return null;
        }
        return in.put("duplicates", duplicates);
    }

    /** One event's deliveries: where, the body, and each attempt's headers (asked anew per attempt). */
    record Delivery(String url, byte[] body, Supplier<Map<String, String>> headers) {}

    /** Delivers, then answers the trigger with every status and {@code extra}. */
    private void send(RoutingContext ctx, Delivery d, int duplicates, JsonObject extra) {
        if (inFlight.incrementAndGet() > EVENTS_IN_FLIGHT_MAX) {
            inFlight.decrementAndGet();
            ctx.response().setStatusCode(429).end("{\"error\":\"too many webhooks in flight\"}");
            return;
        }
        deliver(d, duplicates).onComplete(ar -> {
            inFlight.decrementAndGet();
            JsonArray statuses = new JsonArray(ar.succeeded() ? ar.result() : List.of());
            ctx.response()
                    .putHeader("content-type", "application/json")
                    .end(extra.put("statuses", statuses).encode());
        });
    }

    /** Delivers until a 2xx (or {@link #ATTEMPTS_MAX}), then {@code duplicates} more; every status, in order (0: no answer). */
    Future<List<Integer>> deliver(Delivery d, int duplicates) {
        List<Integer> statuses = new ArrayList<>();
        Promise<List<Integer>> done = Promise.promise();
        attempt(d, 1, BACKOFF_MS_INITIAL, duplicates, statuses, done);
        return done.future();
    }

    private void attempt(
            Delivery d,
            int attempt,
            long backoffMs,
            int duplicates,
            List<Integer> statuses,
            Promise<List<Integer>> done) {
        post(d).onComplete(ar -> {
            int status = ar.succeeded() ? ar.result() : 0;
            statuses.add(status);
            boolean delivered = status >= 200 && status < 300;
            if (delivered && duplicates > 0) {
                attempt(d, 1, BACKOFF_MS_INITIAL, duplicates - 1, statuses, done);
            } else if (delivered || attempt >= ATTEMPTS_MAX) {
                done.complete(statuses);
            } else {
                vertx.setTimer(
                        backoffMs,
                        id -> attempt(
                                d, attempt + 1, Math.min(BACKOFF_MS_MAX, backoffMs * 2), duplicates, statuses, done));
            }
        });
    }

    private Future<Integer> post(Delivery d) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(d.url())
                .putHeader("Content-Type", "application/json; charset=utf-8");
        d.headers().get().forEach(options::putHeader);
        return client.request(options)
                .compose(req -> req.send(Buffer.buffer(d.body())))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    /**
     * The sandbox's {@code PAYPAL-TRANSMISSION-SIG}: PayPal signs {@code
     * <transmission id>|<time>|<webhook id>|<CRC32 of the event>} with its certificate's key; the
     * sandbox uses an HMAC-SHA256 with {@link #PAYPAL_SIGNING_KEY} instead, over the event as encoded
     * by {@link JsonObject#encode} (as PayPal's API, it checks the event's content, not its whitespace).
     */
    public static String paypalSignature(String transmissionId, String time, String webhookId, JsonObject event) {
        return paypalSignature(PAYPAL_SIGNING_KEY, transmissionId, time, webhookId, event);
    }

    static String paypalSignature(String key, String transmissionId, String time, String webhookId, JsonObject event) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(event.encode().getBytes(StandardCharsets.UTF_8));
        String signed = transmissionId + "|" + time + "|" + webhookId + "|" + crc.getValue();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is in every JDK", e);
        }
    }

    /**
     * {@code POST /v1/notifications/verify-webhook-signature}: {@code SUCCESS} when the request's
     * {@code transmission_sig} is {@link #paypalSignature} of its fields and event, else {@code
     * FAILURE}; {@code 400 INVALID_REQUEST} when a field is missing or the event is not an object.
     */
    static void verifyPayPal(RoutingContext ctx) {
        JsonObject in;
        try {
            in = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            in = null;
        }
        Object event = in == null ? null : in.getValue("webhook_event");
        List<String> fields = List.of(
                "transmission_id", "transmission_time", "transmission_sig", "webhook_id", "cert_url", "auth_algo");
        boolean complete = in != null && event instanceof JsonObject;
        for (String f : fields) {
            complete &= in != null && in.getValue(f) instanceof String;
        }
        ctx.response().putHeader("content-type", "application/json");
        if (!complete) {
            ctx.response()
                    .setStatusCode(400)
                    .end(new JsonObject()
                            .put("name", "INVALID_REQUEST")
                            .put("message", "Request is not well-formed, syntactically incorrect, or violates schema.")
                            .encode());
            return;
        }
        String expected = paypalSignature(
                in.getString("transmission_id"),
                in.getString("transmission_time"),
                in.getString("webhook_id"),
                (JsonObject) event);
        boolean ok = java.security.MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8),
                in.getString("transmission_sig").getBytes(StandardCharsets.UTF_8));
        ctx.response()
                .end(new JsonObject()
                        .put("verification_status", ok ? "SUCCESS" : "FAILURE")
                        .encode());
    }

    public Future<Void> close() {
        return client.close();
    }
}
