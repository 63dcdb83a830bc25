package com.streamsocial.billing.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test support: a private certificate authority made at test time with the {@code openssl} command,
 * and certificates it signs, all PEM, keys PKCS#8 and owner-only; so TLS tests run against a CA that
 * no trust store holds. Two of them stand for the right CA and another one.
 */
public final class TestCa {
    /** Longest an {@code openssl} command may take (a 2048-bit RSA key on a busy core). */
    private static final long OPENSSL_TIMEOUT_S = 60;

    private final Path dir;
    private final String name;

    private TestCa(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** A self-signed CA named {@code name} in {@code dir}: {@code <name>.pem} and its key. */
    public static TestCa create(Path dir, String name) throws Exception {
        openssl(
                dir,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=" + name,
                "-keyout",
                name + ".key",
                "-out",
                name + ".pem");
        ownerOnly(dir.resolve(name + ".key"));
        return new TestCa(dir, name);
    }

    /** The CA's certificate (PEM): what a client or server that trusts this CA is given. */
    public Path certificate() {
        return dir.resolve(name + ".pem");
    }

    /**
     * A certificate for {@code commonName} signed by this CA, naming {@code subjectAltName} (such as
     * {@code IP:127.0.0.1}, or null for none): {@code <file>.pem} and the owner-only PKCS#8 key
     * {@code <file>.key}, in this CA's directory.
     */
    public Issued issue(String file, String commonName, String subjectAltName) throws Exception {
        openssl(
                dir,
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=" + commonName,
                "-keyout",
                file + ".key",
                "-out",
                file + ".csr");
        ownerOnly(dir.resolve(file + ".key"));
        List<String> sign = new ArrayList<>(List.of(
                "x509",
                "-req",
                "-in",
                file + ".csr",
                "-CA",
                name + ".pem",
                "-CAkey",
                name + ".key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                file + ".pem"));
        if (subjectAltName != null) {
            Files.writeString(dir.resolve(file + ".ext"), "subjectAltName=" + subjectAltName + "\n");
            sign.addAll(List.of("-extfile", file + ".ext"));
        }
        openssl(dir, sign.toArray(String[]::new));
        return new Issued(dir.resolve(file + ".pem"), dir.resolve(file + ".key"));
    }

    /** A certificate and its private key (PKCS#8 PEM, readable by its owner only). */
    public record Issued(Path certificate, Path key) {
        /**
         * The key followed by the certificate in one owner-only file, {@code <certificate>.keystore}:
         * Kafka's {@code ssl.keystore.type=PEM} reads them so.
         */
        public Path keyAndCertificate() throws IOException {
            Path out = certificate.resolveSibling(
                    certificate.getFileName().toString().replace(".pem", "") + ".keystore.pem");
            Files.writeString(out, Files.readString(key) + Files.readString(certificate));
            ownerOnly(out);
            return out;
        }
    }

    private static void ownerOnly(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(OPENSSL_TIMEOUT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }
}
