package com.streamsocial.billing.config;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.TrustManagerFactory;

/**
 * The services' libpq-style {@code pg.uri} as Vert.x connect options, with TLS as libpq does it:
 * {@code sslmode=verify-full} checks the server's certificate chain and host name, {@code verify-ca}
 * the chain only, against the private CA in the PEM file named by {@code sslrootcert} (libpq's own
 * parameter), or the JVM's trust store without one. {@code sslcert} and {@code sslkey} (PEM, the key
 * unencrypted PKCS#8 and owner-only) are the client certificate for a server that requires one
 * ({@code hostssl ... cert}). Vert.x alone refuses both modes without trust options, and would send
 * these parameters to the server as run-time parameters.
 */
public final class PgUri {
    /** libpq's URI parameter naming the PEM file of the CA certificates that sign the server's. */
    public static final String ROOT_CERT = "sslrootcert";

    /** libpq's URI parameter naming the client's certificate chain (PEM). */
    public static final String CLIENT_CERT = "sslcert";

    /** libpq's URI parameter naming the client certificate's private key (PEM, PKCS#8, unencrypted). */
    public static final String CLIENT_KEY = "sslkey";

    /** The parameters only the client reads: never sent to the server. */
    private static final List<String> CLIENT_ONLY = List.of(ROOT_CERT, CLIENT_CERT, CLIENT_KEY);

    /** Largest key file read to check its format: a PEM RSA key of 8192 bits is about 6.5 KB. */
    private static final long KEY_FILE_BYTES_MAX = 64 * 1024;

    private PgUri() {}

    /**
     * Connect options for {@code uri}; a start-up error ({@link IllegalArgumentException}) naming the
     * parameter when {@code sslrootcert}, {@code sslcert} or {@code sslkey} cannot be used: a file
     * that cannot be read, a key that group or others may read or that is not unencrypted PKCS#8
     * PEM, a certificate without its key, or any of them without a verifying {@code sslmode}.
     */
    public static PgConnectOptions connectOptions(String uri) {
        String caFile = rootCert(uri);
        String certFile = param(uri, CLIENT_CERT);
        String keyFile = param(uri, CLIENT_KEY);
        PgConnectOptions o = PgConnectOptions.fromUri(withoutClientFiles(uri));
        SslMode mode = o.getSslMode();
        boolean verify = mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL;
        for (String named : List.of(ROOT_CERT, CLIENT_CERT, CLIENT_KEY)) {
            if (param(uri, named) != null && !verify) {
                throw new IllegalArgumentException("pg.uri names " + named + " but its sslmode is "
                        + (mode == null ? "unset" : mode.value) + ": add sslmode=verify-full (or verify-ca)");
            }
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
        if (certFile != null || keyFile != null) {
            ssl.setKeyCertOptions(clientCertificate(caFile, certFile, keyFile));
        }
        return o.setSslOptions(ssl);
    }

    /** The file {@code sslrootcert} names (percent-decoded, as libpq does), or null. */
    public static String rootCert(String uri) {
        return param(uri, ROOT_CERT);
    }

    /** The file {@code sslcert} names (the client certificate), or null. */
    public static String clientCert(String uri) {
        return param(uri, CLIENT_CERT);
    }

    /** The file {@code sslkey} names (the client certificate's key), or null. */
    public static String clientKey(String uri) {
        return param(uri, CLIENT_KEY);
    }

    /** The value of the query parameter {@code name} (percent-decoded, as libpq does), or null. */
    private static String param(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        String prefix = name + "=";
        String found = null;
        for (String p : uri.substring(q + 1).split("&")) {
            if (p.startsWith(prefix)) {
                String raw = p.substring(prefix.length());
                try {
                    // libpq decodes %XX only; '+' is itself.
                    found = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("pg.uri: " + name + " is not percent-encoded properly", e);
                }
            }
        }
        return found == null || found.isBlank() ? null : found;
    }

    /**
     * {@code uri} without its {@code sslrootcert}, {@code sslcert} and {@code sslkey} parameters,
     * which only the client reads.
     */
    public static String withoutClientFiles(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        String kept = Arrays.stream(uri.substring(q + 1).split("&"))
                .filter(p -> !p.isEmpty() && CLIENT_ONLY.stream().noneMatch(n -> p.startsWith(n + "=")))
                .collect(Collectors.joining("&"));
        return kept.isEmpty() ? uri.substring(0, q) : uri.substring(0, q + 1) + kept;
    }

    /**
     * The client certificate and key, checked as libpq checks them and more: both given, the key
     * owner-only and in the one format both clients read (pgjdbc's PEM reader takes unencrypted
     * PKCS#8 only). The migrations' JDBC reads a client certificate only beside {@code sslrootcert}.
     */
    private static KeyCertOptions clientCertificate(String caFile, String certFile, String keyFile) {
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("pg.uri names " + (certFile == null ? CLIENT_KEY : CLIENT_CERT)
                    + " without " + (certFile == null ? CLIENT_CERT : CLIENT_KEY) + ": give both");
        }
        if (caFile == null) {
            throw new IllegalArgumentException("pg.uri names " + CLIENT_CERT + " without " + ROOT_CERT
                    + ": name the CA of the server's certificate too (the migrations' JDBC client needs it)");
        }
        if (!Files.isReadable(Path.of(certFile))) {
            throw new IllegalArgumentException("pg.uri " + CLIENT_CERT + " " + certFile + " cannot be read");
        }
        String lower = keyFile.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".der") || lower.endsWith(".p12") || lower.endsWith(".pfx")) {
            // pgjdbc picks its key reader by this extension: DER or PKCS#12, never the PEM both read.
            throw new IllegalArgumentException("pg.uri " + CLIENT_KEY + " " + keyFile
                    + " must be PEM, and named so (.pem or .key): the migrations' JDBC client reads a"
                    + " .der, .p12 or .pfx file as another format");
        }
        KeyFormat format = keyFormat(keyFile);
        if (format != KeyFormat.PKCS8) {
            throw new IllegalArgumentException("pg.uri " + CLIENT_KEY + " " + keyFile + " " + format.problem);
        }
        return new PemKeyCertOptions().setCertPath(certFile).setKeyPath(keyFile);
    }

    /** What a client key file holds, as far as the clients care; never its content. */
    enum KeyFormat {
        PKCS8(null),
        ENCRYPTED("is encrypted, which the clients cannot read: decrypt it (openssl pkcs8 -topk8 -nocrypt)"),
        LEGACY("is PKCS#1 or SEC1 (BEGIN RSA/EC PRIVATE KEY): convert it to PKCS#8 with"
                + " openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem"),
        NOT_PEM("is not a PEM private key (-----BEGIN PRIVATE KEY-----)"),
        SHARED("holds a private key but group or others may read it: chmod 600 it"),
        UNREADABLE("cannot be read");

        final String problem;

        KeyFormat(String problem) {
            this.problem = problem;
        }
    }

    /** The format of the key in {@code keyFile}, or why it cannot be used; total: never throws. */
    static KeyFormat keyFormat(String keyFile) {
        Path path;
        try {
            path = Path.of(keyFile);
            if (!Files.isRegularFile(path) || !Files.isReadable(path) || Files.size(path) > KEY_FILE_BYTES_MAX) {
                return KeyFormat.UNREADABLE;
            }
            if (sharedWithOthers(path)) {
                return KeyFormat.SHARED;
            }
            return pemKeyFormat(Files.readString(path, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return KeyFormat.UNREADABLE;
        }
    }

    /** The format of a PEM key's text, by its first armour line; the text itself goes nowhere. */
    static KeyFormat pemKeyFormat(String pem) {
        String s = pem.strip();
        if (s.startsWith("-----BEGIN PRIVATE KEY-----")) {
            return KeyFormat.PKCS8;
        }
        if (s.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            return KeyFormat.ENCRYPTED;
        }
        if (s.startsWith("-----BEGIN RSA PRIVATE KEY-----") || s.startsWith("-----BEGIN EC PRIVATE KEY-----")) {
            return s.contains("ENCRYPTED") ? KeyFormat.ENCRYPTED : KeyFormat.LEGACY;
        }
        return KeyFormat.NOT_PEM;
    }

    /** Whether group or others have any access to {@code path} (libpq refuses such a key too). */
    private static boolean sharedWithOthers(Path path) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
            return p.stream()
                    .anyMatch(x -> x.name().startsWith("GROUP_") || x.name().startsWith("OTHERS_"));
        } catch (UnsupportedOperationException e) {
            // No POSIX permissions (not a POSIX file system): nothing to check.
            return false;
        }
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
