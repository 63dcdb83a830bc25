package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CertificateReload} on a real Vert.x TLS listener: certificate A is served, its files are
 * replaced by certificate B's, and new connections get B without a restart. The wait is counted in
 * handshakes, never asserted as a time.
 */
class CertificateReloadTest {
    private static final int HANDSHAKES_MAX = 600;

    @Test
    void aRenewedCertificateIsServedWithoutARestart(@TempDir Path dir) throws Exception {
        SelfSignedCertificate a = SelfSignedCertificate.create("a.localhost");
        SelfSignedCertificate b = SelfSignedCertificate.create("b.localhost");
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        Files.copy(Path.of(a.certificatePath()), cert);
        Files.copy(Path.of(a.privateKeyPath()), key);
        Vertx vertx = Vertx.vertx();
        try {
            HttpServerOptions o = TlsPolicy.apply(new HttpServerOptions()
                    .setSsl(true)
                    .setKeyCertOptions(
                            new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
                    .setHost("127.0.0.1")
                    .setPort(0));
            HttpServer server = vertx.createHttpServer(o)
                    .requestHandler(r -> r.response().end("ok"))
                    .listen()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            CertificateReload.start(vertx, server, cert.toString(), key.toString(), 100)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertThat(servedName(server.actualPort())).contains("a.localhost");
            // Renewed in place, as certbot or a secret mount does: new contents under the same names.
            Files.copy(Path.of(b.privateKeyPath()), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(Path.of(b.certificatePath()), cert, StandardCopyOption.REPLACE_EXISTING);
            String served = "";
            for (int i = 0; i < HANDSHAKES_MAX && !served.contains("b.localhost"); i++) {
                Thread.sleep(50);
                served = servedName(server.actualPort());
            }
            assertThat(served).as("served after the renewal").contains("b.localhost");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** The subject of the certificate a new connection is served. */
    private static String servedName(int port) throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new TrustAll()}, null);
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal()
                    .getName();
        }
    }

    /** The test's own self-signed certificates: what is tested is which one is served. */
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
