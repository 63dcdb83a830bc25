package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the API listener, from a PEM certificate and key made by this test (openssl). */
class TlsIT {
    @Test
    void servesTheApiOverTlsWithThePemCertificateAndRefusesPlainHttp(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process openssl = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "1",
                        "-subj",
                        "/CN=localhost",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString())
                .redirectErrorStream(true)
                .start();
        String opensslOut = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(opensslOut).isZero();

        LocalInfra infra = SharedInfra.get();
        String apiKey = TenantKeys.create(infra.pgUri(), "default");
        Vertx vertx = Vertx.vertx();
        int port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("http.tls.certPath", cert.toString());
        s.put("http.tls.keyPath", key.toString());
        s.put("gateway.instanceId", "gateway-tls-it");
        s.put("gateway.producers", "1");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        Gateway gateway = Gateway.deploy(
                        vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(cert)) {
                Certificate c = CertificateFactory.getInstance("X.509").generateCertificate(in);
                trust.setCertificateEntry("gateway", c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
            HttpResponse<String> r = https.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/payments"))
                            .header("Authorization", "Bearer " + apiKey)
                            .header("Idempotency-Key", "tls-" + Long.toString(System.nanoTime(), 36))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                                    .put("amount", 100)
                                    .put("currency", "EUR")
                                    .put("customer_id", "cus_tls")
                                    .put("payment_method", "pm_card_visa")
                                    .encode()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            // Plain HTTP on the TLS port gets no HTTP answer.
            HttpClient plain =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            assertThatThrownBy(() -> plain.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                                    .timeout(java.time.Duration.ofSeconds(20))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
        } finally {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
