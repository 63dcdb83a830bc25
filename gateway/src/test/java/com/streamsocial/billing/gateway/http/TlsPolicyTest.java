package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TlsPolicy} on a real Vert.x TLS listener (a self-signed certificate; no Kafka or PostgreSQL
 * involved): a TLS 1.2 client offering only a CBC suite, which the JDK's defaults would accept, fails
 * the handshake; TLS 1.3 and TLS 1.2 with an ECDHE-GCM suite succeed.
 */
class TlsPolicyTest {
    private static Vertx vertx;
    private static HttpServer server;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
        HttpServerOptions o = new HttpServerOptions()
                .setSsl(true)
                .setKeyCertOptions(cert.keyCertOptions())
                .setHost("127.0.0.1")
                .setPort(0);
        server = vertx.createHttpServer(TlsPolicy.apply(o))
                .requestHandler(r -> r.response().end("ok"))
                .listen()
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theOptionsStateTheProtocolsAndSuites() {
        HttpServerOptions o = TlsPolicy.apply(new HttpServerOptions());
        assertThat(o.getEnabledSecureTransportProtocols()).containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
        assertThat(o.getEnabledCipherSuites()).containsExactlyInAnyOrderElementsOf(TlsPolicy.CIPHER_SUITES);
    }

    @Test
    void aClientOfferingOnlyACbcSuiteIsRefused() {
        assertThatThrownBy(() -> handshake("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"))
                .isInstanceOf(javax.net.ssl.SSLException.class);
        assertThatThrownBy(() -> handshake("TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256"))
                .isInstanceOf(javax.net.ssl.SSLException.class);
    }

    @Test
    void tls13AndTls12WithAnAeadSuiteAreServed() throws Exception {
        assertThat(handshake("TLSv1.3", "TLS_AES_128_GCM_SHA256")).isEqualTo("TLS_AES_128_GCM_SHA256");
        assertThat(handshake("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))
                .isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }

    /** A handshake offering only {@code protocol} and {@code suite}; the suite agreed. */
    private static String handshake(String protocol, String suite) throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new TrustAll()}, null);
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", server.actualPort())) {
            socket.setSoTimeout(30_000);
            socket.setEnabledProtocols(new String[] {protocol});
            socket.setEnabledCipherSuites(new String[] {suite});
            socket.startHandshake();
            return socket.getSession().getCipherSuite();
        }
    }

    /** The test's own self-signed server: what is tested is the handshake's terms, not the trust. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
