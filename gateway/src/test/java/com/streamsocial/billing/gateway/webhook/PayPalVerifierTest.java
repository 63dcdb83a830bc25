package com.streamsocial.billing.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.webhook.PayPalVerifier.Transmission;
import com.streamsocial.billing.gateway.webhook.PayPalVerifier.Verdict;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayPalVerifierTest {
    private static final Transmission T = new Transmission(
            "tx-1",
            "2026-12-07T07:00:00Z",
            "c2lnbmF0dXJl",
            "https://api.paypal.com/v1/notifications/certs/C",
            "SHA256withRSA");
    /** Whitespace and key order PayPal's own encoder would not produce: kept byte for byte. */
    private static final byte[] BODY =
            "{ \"id\" : \"WH-1\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\" }".getBytes(StandardCharsets.UTF_8);

    private static MultiMap headers() {
        return MultiMap.caseInsensitiveMultiMap()
                .add("paypal-transmission-id", T.id())
                .add("PAYPAL-TRANSMISSION-TIME", T.time())
                .add("PAYPAL-TRANSMISSION-SIG", T.signature())
                .add("PAYPAL-CERT-URL", T.certUrl())
                .add("PAYPAL-AUTH-ALGO", T.authAlgo());
    }

    @Test
    void theVerificationRequestCarriesEveryHeaderTheWebhookIdAndTheRawEvent() {
        Buffer request = PayPalVerifier.request(T, "WH-ID", BODY);
        JsonObject json = request.toJsonObject();
        assertThat(json.getString("transmission_id")).isEqualTo("tx-1");
        assertThat(json.getString("transmission_time")).isEqualTo(T.time());
        assertThat(json.getString("transmission_sig")).isEqualTo(T.signature());
        assertThat(json.getString("cert_url")).isEqualTo(T.certUrl());
        assertThat(json.getString("auth_algo")).isEqualTo("SHA256withRSA");
        assertThat(json.getString("webhook_id")).isEqualTo("WH-ID");
        assertThat(json.getJsonObject("webhook_event").getString("id")).isEqualTo("WH-1");
        assertThat(request.toString(StandardCharsets.UTF_8))
                .as("the event as received, never re-encoded")
                .endsWith(",\"webhook_event\":" + new String(BODY, StandardCharsets.UTF_8) + "}");
    }

    @Test
    void headersAreReadCaseInsensitivelyAndEachIsRequired() {
        assertThat(Transmission.from(headers())).isEqualTo(T);
        assertThat(Transmission.missing(headers())).isNull();
        for (String h : Transmission.HEADERS) {
            MultiMap without = headers().remove(h);
            assertThat(Transmission.missing(without)).isEqualTo(h);
            assertThat(Transmission.from(without)).isNull();
            assertThat(Transmission.missing(headers().set(h, " "))).isEqualTo(h);
            assertThat(Transmission.missing(headers().set(h, "x".repeat(PayPalVerifier.HEADER_CHARS_MAX + 1))))
                    .isEqualTo(h);
        }
    }

    @Test
    void paypalsAnswersAreDecodedTotally() {
        assertThat(PayPalVerifier.answer(200, Buffer.buffer("{\"verification_status\":\"SUCCESS\"}")))
                .isEqualTo(Verdict.VERIFIED);
        assertThat(PayPalVerifier.answer(200, Buffer.buffer("{\"verification_status\":\"FAILURE\"}")))
                .isEqualTo(Verdict.REFUSED);
        assertThat(PayPalVerifier.answer(400, Buffer.buffer("{\"name\":\"INVALID_REQUEST\"}")))
                .isEqualTo(Verdict.REFUSED);
        assertThat(PayPalVerifier.answer(422, Buffer.buffer(""))).isEqualTo(Verdict.REFUSED);
        for (int status : List.of(401, 403, 429, 500, 503)) {
            assertThat(PayPalVerifier.answer(status, Buffer.buffer("{\"verification_status\":\"SUCCESS\"}")))
                    .as("status %d", status)
                    .isEqualTo(Verdict.UNAVAILABLE);
        }
        for (String body : List.of(
                "", "not json", "[]", "{}", "{\"verification_status\":1}", "{\"verification_status\":\"success\"}")) {
            assertThat(PayPalVerifier.answer(200, Buffer.buffer(body))).as(body).isEqualTo(Verdict.UNAVAILABLE);
        }
    }

    @Test
    void theFingerprintCoversEveryHeaderAndTheBody() {
        byte[] f = PayPalVerifier.fingerprint(T, BODY);
        assertThat(PayPalVerifier.fingerprint(T, BODY)).isEqualTo(f);
        List<Transmission> changed = List.of(
                new Transmission("tx-2", T.time(), T.signature(), T.certUrl(), T.authAlgo()),
                new Transmission(T.id(), "2026-12-07T07:00:01Z", T.signature(), T.certUrl(), T.authAlgo()),
                new Transmission(T.id(), T.time(), "c2lnbmF0dXJx", T.certUrl(), T.authAlgo()),
                new Transmission(T.id(), T.time(), T.signature(), T.certUrl() + "x", T.authAlgo()),
                new Transmission(T.id(), T.time(), T.signature(), T.certUrl(), "SHA1withRSA"),
                // Shifting characters between two headers changes it too (each is length-prefixed).
                new Transmission(T.id() + "2", T.time().substring(1), T.signature(), T.certUrl(), T.authAlgo()));
        for (Transmission t : changed) {
            assertThat(PayPalVerifier.fingerprint(t, BODY)).as(t.toString()).isNotEqualTo(f);
        }
        byte[] body = BODY.clone();
        body[body.length - 2] = '\t';
        assertThat(PayPalVerifier.fingerprint(T, body)).isNotEqualTo(f);
    }

    @Test
    void theBaseUrlIsHttpsOrLoopback() {
        assertThat(WebhookConfig.httpsOrLoopback("https://api-m.paypal.com")).isTrue();
        assertThat(WebhookConfig.httpsOrLoopback("http://127.0.0.1:8090")).isTrue();
        assertThat(WebhookConfig.httpsOrLoopback("http://localhost:8090/")).isTrue();
        assertThat(WebhookConfig.httpsOrLoopback("http://api-m.paypal.com")).isFalse();
        assertThat(WebhookConfig.httpsOrLoopback("http://127.0.0.1.evil.example"))
                .isFalse();
        assertThat(WebhookConfig.httpsOrLoopback("https://")).isFalse();
        assertThat(WebhookConfig.httpsOrLoopback("ftp://127.0.0.1")).isFalse();
        assertThat(WebhookConfig.httpsOrLoopback(null)).isFalse();
    }
}
