package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.gateway.webhook.WebhookMeters.Verification;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Verifies a PayPal webhook through PayPal's {@code POST /v1/notifications/verify-webhook-signature}
 * (issue 21 §2), asynchronously and bounded: at most {@link #CALLS_IN_FLIGHT_MAX} calls per lane, each
 * answered within {@code webhook.paypal.verifyTimeoutMs}, else {@link Verdict#UNAVAILABLE} (a 503, so
 * PayPal retries). A {@code SUCCESS} is cached per transmission id ({@link VerifiedTransmissions},
 * shared by the lanes). One per lane: used on its event loop only.
 */
public final class PayPalVerifier {
    /** Verification calls in flight per lane, at most; beyond, 503 and PayPal retries. */
    public static final int CALLS_IN_FLIGHT_MAX = 32;
    /** An access token is renewed this long before PayPal says it expires. */
    static final long TOKEN_RENEW_MARGIN_MS = 60_000;
    /** A signed header longer than this is not PayPal's. */
    static final int HEADER_CHARS_MAX = 2_048;

    /** The answer for one delivery whose headers are all present. */
    public enum Verdict {
        VERIFIED,
        REFUSED,
        /** PayPal could not be asked in time (or {@link #CALLS_IN_FLIGHT_MAX} calls are open). */
        UNAVAILABLE
    }

    /** A delivery's signed {@code PAYPAL-*} headers; {@link #from} is null when one is missing. */
    public record Transmission(String id, String time, String signature, String certUrl, String authAlgo) {
        public static final String ID = "PAYPAL-TRANSMISSION-ID";
        public static final String TIME = "PAYPAL-TRANSMISSION-TIME";
        public static final String SIG = "PAYPAL-TRANSMISSION-SIG";
        public static final String CERT_URL = "PAYPAL-CERT-URL";
        public static final String AUTH_ALGO = "PAYPAL-AUTH-ALGO";

        /** Every signed header's name, in PayPal's order. */
        public static final List<String> HEADERS = List.of(ID, TIME, SIG, CERT_URL, AUTH_ALGO);

        /** The first header missing, blank or over {@link #HEADER_CHARS_MAX}; null when all are there. */
        public static String missing(MultiMap headers) {
            for (String h : HEADERS) {
                String v = headers.get(h);
                if (v == null || v.isBlank() || v.length() > HEADER_CHARS_MAX) {
                    return h;
                }
            }
            return null;
        }

        /** The five headers, or null when {@link #missing} names one. */
        public static Transmission from(MultiMap headers) {
            return missing(headers) != null
                    ? null
                    : new Transmission(
                            headers.get(ID),
                            headers.get(TIME),
                            headers.get(SIG),
                            headers.get(CERT_URL),
                            headers.get(AUTH_ALGO));
        }
    }

    private final WebhookConfig config;
    private final HttpClient client;
    private final WebhookMeters meters;
    private final LongSupplier nowMs;
    private final VerifiedTransmissions verified;

    private String token;
    private long tokenExpiresAtMs;
    private Future<String> tokenFetch;
    private int inFlight;

    /** {@code verified}: the gateway's cache, shared by its lanes. */
    public PayPalVerifier(
            Vertx vertx,
            WebhookConfig config,
            VerifiedTransmissions verified,
            WebhookMeters meters,
            LongSupplier nowMs) {
        this.config = config;
        this.verified = verified;
        this.meters = meters;
        this.nowMs = nowMs;
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setSsl(config.paypalBaseUrl().startsWith("https:"))
                        .setKeepAlive(true)
                        .setConnectTimeout((int) config.paypalVerifyTimeoutMs()),
                new PoolOptions().setHttp1MaxSize(CALLS_IN_FLIGHT_MAX).setMaxWaitQueueSize(CALLS_IN_FLIGHT_MAX));
    }

    /** {@code body}: the raw bytes received, already known to be one JSON object (no splicing through it). */
    public Future<Verdict> verify(Transmission t, byte[] body) {
        byte[] fingerprint = fingerprint(t, body);
        if (verified.verified(t.id(), fingerprint, nowMs.getAsLong())) {
            meters.count(Verification.CACHED);
            return Future.succeededFuture(Verdict.VERIFIED);
        }
        if (inFlight >= CALLS_IN_FLIGHT_MAX) {
            meters.count(Verification.IN_FLIGHT_MAX);
            return Future.succeededFuture(Verdict.UNAVAILABLE);
        }
        inFlight++;
        // The slot is freed when the call itself ends (its idle timeout), not when the answer is given up on.
        Future<Verdict> call = accessToken().compose(at -> call(at, t, body)).andThen(ar -> inFlight--);
        return call.timeout(config.paypalVerifyTimeoutMs(), TimeUnit.MILLISECONDS)
                .map(v -> {
                    meters.count(
                            switch (v) {
                                case VERIFIED -> Verification.SUCCESS;
                                case REFUSED -> Verification.FAILURE;
                                case UNAVAILABLE -> Verification.ERROR;
                            });
                    if (v == Verdict.VERIFIED) {
                        verified.put(t.id(), fingerprint, nowMs.getAsLong());
                    }
                    return v;
                })
                .otherwise(e -> {
                    meters.count(
                            e instanceof java.util.concurrent.TimeoutException
                                    ? Verification.TIMEOUT
                                    : Verification.ERROR);
                    return Verdict.UNAVAILABLE;
                });
    }

    /** The request's body: the event spliced in as the raw bytes received, never re-encoded. */
    static Buffer request(Transmission t, String webhookId, byte[] body) {
        String head = new JsonObject()
                .put("auth_algo", t.authAlgo())
                .put("cert_url", t.certUrl())
                .put("transmission_id", t.id())
                .put("transmission_sig", t.signature())
                .put("transmission_time", t.time())
                .put("webhook_id", webhookId)
                .encode();
        return Buffer.buffer(head.substring(0, head.length() - 1) + ",\"webhook_event\":")
                .appendBytes(body)
                .appendString("}");
    }

    /**
     * PayPal's answer, total: {@code SUCCESS} verified; {@code FAILURE}, or a 400/422 (not a delivery
     * PayPal would sign), refused; anything else (401, 429, 5xx, not its JSON) unavailable.
     */
    static Verdict answer(int status, Buffer body) {
        if (status == 400 || status == 422) {
            return Verdict.REFUSED;
        }
        if (status != 200) {
            return Verdict.UNAVAILABLE;
        }
        Object result;
        try {
            result = new JsonObject(body).getValue("verification_status");
        } catch (RuntimeException e) {
            return Verdict.UNAVAILABLE;
        }
        return "SUCCESS".equals(result)
                ? Verdict.VERIFIED
                : "FAILURE".equals(result) ? Verdict.REFUSED : Verdict.UNAVAILABLE;
    }

    private Future<Verdict> call(String accessToken, Transmission t, byte[] body) {
        return client.request(options("/v1/notifications/verify-webhook-signature")
                        .putHeader("Authorization", "Bearer " + accessToken)
                        .putHeader("Content-Type", "application/json"))
                .compose(req -> req.send(request(t, config.paypalWebhookId(), body)))
                .compose(resp -> resp.body().map(b -> {
                    if (resp.statusCode() == 401) {
                        token = null;
                    }
                    return answer(resp.statusCode(), b);
                }));
    }

    private RequestOptions options(String path) {
        return new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(config.paypalBaseUrl() + path)
                .setFollowRedirects(false)
                .setIdleTimeout(config.paypalVerifyTimeoutMs());
    }

    /** The cached token, or one fetch shared by every call that needs a new one. */
    private Future<String> accessToken() {
        if (token != null && nowMs.getAsLong() < tokenExpiresAtMs) {
            return Future.succeededFuture(token);
        }
        if (tokenFetch != null) {
            return tokenFetch;
        }
        Future<String> f = fetchToken();
        if (!f.isComplete()) {
            tokenFetch = f;
            f.onComplete(ar -> tokenFetch = null);
        }
        return f;
    }

    private Future<String> fetchToken() {
        String basic = Base64.getEncoder()
                .encodeToString(
                        (config.paypalClientId() + ":" + config.paypalClientSecret()).getBytes(StandardCharsets.UTF_8));
        return client.request(options("/v1/oauth2/token")
                        .putHeader("Authorization", "Basic " + basic)
                        .putHeader("Content-Type", "application/x-www-form-urlencoded"))
                .compose(req -> req.send("grant_type=client_credentials"))
                .compose(resp -> resp.body().compose(b -> {
                    JsonObject json = resp.statusCode() == 200 ? json(b) : null;
                    if (json == null || !(json.getValue("access_token") instanceof String at)) {
                        return Future.failedFuture("PayPal's oauth2/token answered " + resp.statusCode());
                    }
                    long ttlS = json.getValue("expires_in") instanceof Number n ? n.longValue() : 0L;
                    token = at;
                    tokenExpiresAtMs = nowMs.getAsLong() + ttlS * 1_000 - TOKEN_RENEW_MARGIN_MS;
                    return Future.succeededFuture(at);
                }));
    }

    private static JsonObject json(Buffer b) {
        try {
            return new JsonObject(b);
        } catch (RuntimeException e) {
            return null;
        }
    }

    public Future<Void> close() {
        return client.close();
    }

    /** SHA-256 over every signed header, each length-prefixed, then the body. */
    static byte[] fingerprint(Transmission t, byte[] body) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String s : new String[] {t.id(), t.time(), t.signature(), t.certUrl(), t.authAlgo()}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                d.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
                d.update((byte) ':');
                d.update(b);
            }
            return d.digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
