package com.streamsocial.billing.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pg.uri}'s TLS, as libpq reads it: {@code sslrootcert} names the private CA's PEM file and
 * never reaches the server; verify-full checks the host name, verify-ca the chain only; the JVM's
 * trust store without a CA file; {@code sslcert} and {@code sslkey} are the client certificate, checked
 * at start (both, owner-only, unencrypted PKCS#8 PEM), and never reach the server either.
 * (PostgresTlsIT connects to a real server with them.)
 */
class PgUriTest {
    @Test
    void sslRootCertIsTheCaOfVerifyFullAndNeverAServerParameter(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("pg ca+1.pem"), "-----BEGIN CERTIFICATE-----\n");
        String encoded = ca.toString().replace(" ", "%20");
        PgConnectOptions o = PgUri.connectOptions(
                "postgresql://billing@db.internal:5432/billing?sslmode=verify-full&sslrootcert=" + encoded);
        assertThat(PgUri.rootCert("postgresql://h/d?sslrootcert=" + encoded)).isEqualTo(ca.toString());
        assertThat(o.getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(o.getSslOptions().getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
        assertThat(o.getSslOptions().getTrustOptions()).isInstanceOf(PemTrustOptions.class);
        assertThat(((PemTrustOptions) o.getSslOptions().getTrustOptions()).getCertPaths())
                .containsExactly(ca.toString());
        assertThat(o.getSslOptions().getEnabledSecureTransportProtocols())
                .containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
        assertThat(o.getProperties()).doesNotContainKey("sslrootcert");
        assertThat(o.getHost()).isEqualTo("db.internal");
        assertThat(PgUri.withoutClientFiles("postgresql://h/d?sslrootcert=/x.pem&sslmode=verify-ca"))
                .isEqualTo("postgresql://h/d?sslmode=verify-ca");
        assertThat(PgUri.withoutClientFiles("postgresql://h/d?sslrootcert=/x.pem"))
                .isEqualTo("postgresql://h/d");
    }

    @Test
    void verifyCaChecksTheChainOnlyAndWithoutACaFileTheJvmTrustStoreIsUsed(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        PgConnectOptions ca1 = PgUri.connectOptions("postgresql://h/d?sslmode=verify-ca&sslrootcert=" + ca);
        assertThat(ca1.getSslOptions().getHostnameVerificationAlgorithm()).isNullOrEmpty();
        PgConnectOptions jvm = PgUri.connectOptions("postgresql://h/d?sslmode=verify-full");
        assertThat(jvm.getSslOptions().getTrustOptions()).isNotNull().isNotInstanceOf(PemTrustOptions.class);
        // Without a verifying mode the URI is as Vert.x reads it.
        assertThat(PgUri.connectOptions("postgresql://h/d?sslmode=require").getSslMode())
                .isEqualTo(SslMode.REQUIRE);
    }

    @Test
    void aCaFileThatCannotBeReadOrWithoutAVerifyingModeStopsStartUp(@TempDir Path dir) {
        assertThatThrownBy(() -> PgUri.connectOptions(
                        "postgresql://h/d?sslmode=verify-full&sslrootcert=" + dir.resolve("missing.pem")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sslrootcert")
                .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> PgUri.connectOptions("postgresql://h/d?sslmode=require&sslrootcert=/etc/ca.pem"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("verify-full");
        assertThatThrownBy(() -> PgUri.connectOptions("postgresql://h/d?sslmode=verify-full&sslrootcert=%zz"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sslrootcert");
    }

    private static final String PKCS8 = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n";

    private static Path file(Path dir, String name, String text, String perms) throws Exception {
        Path f = Files.writeString(dir.resolve(name), text);
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
        return f;
    }

    @Test
    void sslCertAndSslKeyAreTheClientCertificateAndNeverServerParameters(@TempDir Path dir) throws Exception {
        Path ca = file(dir, "ca.pem", "x", "rw-r--r--");
        Path cert = file(dir, "client.pem", "-----BEGIN CERTIFICATE-----\n", "rw-r--r--");
        Path key = file(dir, "client.key", PKCS8, "rw-------");
        PgConnectOptions o = PgUri.connectOptions("postgresql://billing@h/d?sslmode=verify-full&sslrootcert=" + ca
                + "&sslcert=" + cert + "&sslkey=" + key + "&application_name=x");
        assertThat(o.getSslOptions().getKeyCertOptions()).isInstanceOf(PemKeyCertOptions.class);
        PemKeyCertOptions kc = (PemKeyCertOptions) o.getSslOptions().getKeyCertOptions();
        assertThat(kc.getCertPaths()).containsExactly(cert.toString());
        assertThat(kc.getKeyPaths()).containsExactly(key.toString());
        assertThat(o.getProperties())
                .doesNotContainKeys("sslcert", "sslkey", "sslrootcert")
                .containsEntry("application_name", "x");
        assertThat(PgUri.withoutClientFiles("postgresql://h/d?sslcert=/c.pem&sslmode=verify-ca&sslkey=/k.pem"))
                .isEqualTo("postgresql://h/d?sslmode=verify-ca");
        // Without them, no client certificate is offered.
        assertThat(PgUri.connectOptions("postgresql://h/d?sslmode=verify-full&sslrootcert=" + ca)
                        .getSslOptions()
                        .getKeyCertOptions())
                .isNull();
    }

    @Test
    void aClientCertificateIsRefusedAtStartUpUnlessComplete(@TempDir Path dir) throws Exception {
        Path ca = file(dir, "ca.pem", "x", "rw-r--r--");
        Path cert = file(dir, "client.pem", "x", "rw-r--r--");
        Path key = file(dir, "client.key", PKCS8, "rw-------");
        String base = "postgresql://h/d?sslmode=verify-full&sslrootcert=" + ca;
        assertThatThrownBy(() -> PgUri.connectOptions(base + "&sslcert=" + cert))
                .hasMessageContaining("sslcert without sslkey");
        assertThatThrownBy(() -> PgUri.connectOptions(base + "&sslkey=" + key))
                .hasMessageContaining("sslkey without sslcert");
        assertThatThrownBy(() ->
                        PgUri.connectOptions("postgresql://h/d?sslmode=verify-full&sslcert=" + cert + "&sslkey=" + key))
                .hasMessageContaining("without sslrootcert");
        assertThatThrownBy(() ->
                        PgUri.connectOptions("postgresql://h/d?sslmode=require&sslcert=" + cert + "&sslkey=" + key))
                .hasMessageContaining("names sslcert but its sslmode is require");
        assertThatThrownBy(() -> PgUri.connectOptions(base + "&sslcert=" + dir.resolve("none.pem") + "&sslkey=" + key))
                .hasMessageContaining("sslcert")
                .hasMessageContaining("cannot be read");
        Path der = file(dir, "client.der", PKCS8, "rw-------");
        assertThatThrownBy(() -> PgUri.connectOptions(base + "&sslcert=" + cert + "&sslkey=" + der))
                .hasMessageContaining("must be PEM");
    }

    @Test
    void aKeyOthersMayReadOrInAFormatAClientCannotReadIsRefusedNamingNeitherItsContent(@TempDir Path dir)
            throws Exception {
        Path ca = file(dir, "ca.pem", "x", "rw-r--r--");
        Path cert = file(dir, "client.pem", "x", "rw-r--r--");
        String base = "postgresql://h/d?sslmode=verify-ca&sslrootcert=" + ca + "&sslcert=" + cert + "&sslkey=";
        Path shared = file(dir, "shared.key", PKCS8, "rw-r-----");
        assertThatThrownBy(() -> PgUri.connectOptions(base + shared))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group or others may read it")
                .hasMessageNotContaining("MIIEvQ");
        Path rsa = file(dir, "rsa.key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQ\n", "rw-------");
        assertThatThrownBy(() -> PgUri.connectOptions(base + rsa))
                .hasMessageContaining("PKCS#8")
                .hasMessageNotContaining("MIIEvQ");
        Path encrypted = file(dir, "enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIEvQ\n", "rw-------");
        assertThatThrownBy(() -> PgUri.connectOptions(base + encrypted)).hasMessageContaining("is encrypted");
        Path cert2 = file(dir, "cert-as-key.pem", "-----BEGIN CERTIFICATE-----\nMIIEvQ\n", "rw-------");
        assertThatThrownBy(() -> PgUri.connectOptions(base + cert2))
                .hasMessageContaining("is not a PEM private key")
                .hasMessageNotContaining("MIIEvQ");
        assertThatThrownBy(() -> PgUri.connectOptions(base + dir.resolve("missing.key")))
                .hasMessageContaining("cannot be read");
        assertThat(PgUri.pemKeyFormat("\n" + PKCS8)).isEqualTo(PgUri.KeyFormat.PKCS8);
        assertThat(PgUri.pemKeyFormat("-----BEGIN EC PRIVATE KEY-----")).isEqualTo(PgUri.KeyFormat.LEGACY);
        assertThat(PgUri.pemKeyFormat("")).isEqualTo(PgUri.KeyFormat.NOT_PEM);
    }
}
