package com.streamsocial.billing.config;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.TrustManagerFactory;

/**
 * The services' libpq-style {@code pg.uri} as Vert.x connect options, with TLS as libpq does it:
 * {@code sslmode=verify-full} checks the server's certificate chain and host name, {@code verify-ca}
 * the chain only, against the private CA in the PEM file named by {@code sslrootcert} (libpq's own
 * parameter), or the JVM's trust store without one. Vert.x alone refuses both modes without trust
 * options, and would send {@code sslrootcert} to the server as a run-time parameter.
 */
public final class PgUri {
    /** libpq's URI parameter naming the PEM file of the CA certificates that sign the server's. */
    public static final String ROOT_CERT = "sslrootcert";

    private static final String ROOT_CERT_PARAM = ROOT_CERT + "=";

    private PgUri() {}

    /**
     * Connect options for {@code uri}; a start-up error ({@link IllegalArgumentException}) naming the
     * parameter when {@code sslrootcert} cannot be read or is given without a verifying {@code sslmode}.
     */
    public static PgConnectOptions connectOptions(String uri) {
        String caFile = rootCert(uri);
        PgConnectOptions o = PgConnectOptions.fromUri(withoutRootCert(uri));
        SslMode mode = o.getSslMode();
        boolean verify = mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL;
        if (caFile != null && !verify) {
            throw new IllegalArgumentException("pg.uri names " + ROOT_CERT + " but its sslmode is "
                    + (mode == null ? "unset" : mode.value) + ": add sslmode=verify-full (or verify-ca)");
        }
        if (!verify) {
            return o;
        }
        ClientSSLOptions ssl = new ClientSSLOptions()
                .setTrustOptions(caFile != null ? pemTrust(caFile) : jvmTrust())
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"));
        if (mode == SslMode.VERIFY_FULL) {
            // The server's certificate must name the host connected to (a DNS name or an IP address).
            ssl.setHostnameVerificationAlgorithm("HTTPS");
        }
        return o.setSslOptions(ssl);
    }

    /** The file {@code sslrootcert} names (percent-decoded, as libpq does), or null. */
    public static String rootCert(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        String found = null;
        for (String p : uri.substring(q + 1).split("&")) {
            if (p.startsWith(ROOT_CERT_PARAM)) {
                String raw = p.substring(ROOT_CERT_PARAM.length());
                try {
                    // libpq decodes %XX only; '+' is itself.
                    found = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("pg.uri: " + ROOT_CERT + " is not percent-encoded properly", e);
                }
            }
        }
        return found == null || found.isBlank() ? null : found;
    }

    /** {@code uri} without its {@code sslrootcert} parameter, which only the client reads. */
    public static String withoutRootCert(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        String kept = Arrays.stream(uri.substring(q + 1).split("&"))
                .filter(p -> !p.isEmpty() && !p.startsWith(ROOT_CERT_PARAM))
                .collect(Collectors.joining("&"));
        return kept.isEmpty() ? uri.substring(0, q) : uri.substring(0, q + 1) + kept;
    }

    private static TrustOptions pemTrust(String caFile) {
        if (!Files.isReadable(Path.of(caFile))) {
            throw new IllegalArgumentException("pg.uri " + ROOT_CERT + " " + caFile + " cannot be read");
        }
        return new PemTrustOptions().addCertPath(caFile);
    }

    private static TrustOptions jvmTrust() {
        try {
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init((KeyStore) null);
            return TrustOptions.wrap(f);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM's trust store cannot be loaded", e);
        }
    }
}
