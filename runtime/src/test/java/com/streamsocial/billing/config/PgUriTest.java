package com.streamsocial.billing.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * trust store without a CA file. (PostgresTlsIT connects to a real server with it.)
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
        assertThat(PgUri.withoutRootCert("postgresql://h/d?sslrootcert=/x.pem&sslmode=verify-ca"))
                .isEqualTo("postgresql://h/d?sslmode=verify-ca");
        assertThat(PgUri.withoutRootCert("postgresql://h/d?sslrootcert=/x.pem")).isEqualTo("postgresql://h/d");
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
}
