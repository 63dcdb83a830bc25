package com.streamsocial.billing.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileProps;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a renewed certificate without a restart: every {@code checkPeriodMs} it reads the PEM
 * certificate's and key's modification times and sizes (Vert.x's asynchronous file system: the event
 * loop never waits on the disk), and when either changed it hands both files to
 * {@link HttpServer#updateSSLOptions} with {@link TlsPolicy}'s protocols and suites. New connections
 * then get the new certificate; open ones keep theirs. A pair that does not load (a key written after
 * its certificate, a broken file) is refused by Vert.x, logged at WARN, and tried again at the next
 * check; the server keeps serving the last good pair meanwhile.
 */
public final class CertificateReload {
    private static final Logger log = LoggerFactory.getLogger(CertificateReload.class);

    private final Vertx vertx;
    private final HttpServer server;
    private final String certPath;
    private final String keyPath;
    /** The files' stamp last served (or at start): a change from it triggers a reload. */
    private String servedStamp;

    private boolean checking;
    private long timerId = -1;

    private CertificateReload(Vertx vertx, HttpServer server, String certPath, String keyPath) {
        this.vertx = vertx;
        this.server = server;
        this.certPath = certPath;
        this.keyPath = keyPath;
    }

    /** Starts watching the files {@code server} was started with; completes once their stamp is read. */
    public static Future<CertificateReload> start(
            Vertx vertx, HttpServer server, String certPath, String keyPath, long checkPeriodMs) {
        CertificateReload r = new CertificateReload(vertx, server, certPath, keyPath);
        return r.stamp().map(stamp -> {
            r.servedStamp = stamp;
            r.timerId = vertx.setPeriodic(checkPeriodMs, id -> r.check());
            return r;
        });
    }

    public void stop() {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
    }

    private Future<String> stamp() {
        Future<FileProps> cert = vertx.fileSystem().props(certPath);
        Future<FileProps> key = vertx.fileSystem().props(keyPath);
        return Future.all(cert, key)
                .map(v -> cert.result().lastModifiedTime() + "/" + cert.result().size() + "|"
                        + key.result().lastModifiedTime() + "/" + key.result().size());
    }

    private void check() {
        if (checking) {
            return; // the previous check or reload is still running
        }
        checking = true;
        stamp().compose(stamp -> stamp.equals(servedStamp) ? Future.succeededFuture() : reload(stamp))
                .onComplete(ar -> {
                    checking = false;
                    if (ar.failed()) {
                        // The class only: a message could carry file contents or paths' details.
                        log.warn(
                                "TLS certificate reload failed ({}); still serving the previous certificate,"
                                        + " trying again at the next check",
                                ar.cause().getClass().getSimpleName());
                    }
                });
    }

    private Future<Void> reload(String stamp) {
        ServerSSLOptions options = new ServerSSLOptions()
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certPath).setKeyPath(keyPath));
        options.setEnabledSecureTransportProtocols(TlsPolicy.PROTOCOLS);
        TlsPolicy.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        // Forced: the paths are the same as before, only the files' contents changed.
        return server.updateSSLOptions(options, true).map(updated -> {
            servedStamp = stamp;
            log.info("TLS certificate reloaded from {}", certPath);
            return null;
        });
    }
}
