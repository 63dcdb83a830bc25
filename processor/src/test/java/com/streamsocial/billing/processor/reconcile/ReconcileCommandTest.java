package com.streamsocial.billing.processor.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which provider account reconcile reads, with which credentials, and its default grace period. */
class ReconcileCommandTest {
    @Test
    void stripeByDefaultWithItsSecretKey() {
        ReconcileOptions o = ReconcileCommand.parse(new String[0], Settings.of(Map.of()), 1_000_000_000L);
        assertThat(o.provider().kind()).isEqualTo("stripe");
        assertThat(o.provider().secretKey()).isEqualTo("sk_test_sandbox");
        assertThat(o.graceMs()).isEqualTo(60_000);
        assertThat(o.fromMs()).isEqualTo(1_000_000_000L - 24 * 3_600_000L);
    }

    @Test
    void aPgUriHoldingAPasswordIsRefusedAsTheFlagNamingNeitherThePassword() {
        for (String uri : new String[] {
            "postgresql://billing:SEARCHME_pw@db:5432/billing", "postgresql://billing@db/billing?password=SEARCHME_pw"
        }) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> ReconcileCommand.parse(new String[] {"--pg", uri}, Settings.of(Map.of()), 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--pg holds a password")
                    .hasMessageContaining("BILLING_PG_PASSWORD")
                    .hasMessageNotContaining("SEARCHME_pw");
        }
        // Without a password it is taken as given; the password then comes from pg.password.
        assertThat(ReconcileCommand.parse(
                                new String[] {"--pg", "postgresql://billing@db:5432/billing"}, Settings.of(Map.of()), 0)
                        .pgUri())
                .isEqualTo("postgresql://billing@db:5432/billing");
    }

    @Test
    void paypalReadsTransactionSearchWithTheClientCredentials(@TempDir Path dir) throws Exception {
        ReconcileOptions sandbox =
                ReconcileCommand.parse(new String[0], Settings.of(Map.of("provider.kind", "paypal")), 0);
        assertThat(sandbox.provider())
                .isEqualTo(
                        ProviderAccount.paypal("http://127.0.0.1:8090", "sandbox-client-id", "sandbox-client-secret"));
        // The sandbox lists a capture at once: the usual grace.
        assertThat(sandbox.graceMs()).isEqualTo(60_000);

        // PayPal itself: the key file holds the client secret, and the grace covers its report's lag.
        Path secret = dir.resolve("client-secret");
        Files.writeString(secret, "paypal_client_secret_from_file\n");
        java.nio.file.Files.setPosixFilePermissions(
                secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ReconcileOptions live = ReconcileCommand.parse(
                new String[] {"--provider-key-file", secret.toString()},
                Settings.of(Map.of(
                        "provider.kind", "paypal",
                        "provider.baseUrl", "https://api-m.paypal.com",
                        "provider.clientId", "AbC-client",
                        "provider.clientSecret", "from_the_environment")),
                0);
        assertThat(live.provider())
                .isEqualTo(ProviderAccount.paypal(
                        "https://api-m.paypal.com", "AbC-client", "paypal_client_secret_from_file"));
        assertThat(live.graceMs()).isEqualTo(3 * 3_600_000L);
        assertThat(live.toString()).doesNotContain("paypal_client_secret_from_file");
        // An explicit grace wins.
        assertThat(ReconcileCommand.parse(
                                new String[] {"--grace-ms", "5"}, Settings.of(Map.of("provider.kind", "paypal")), 0)
                        .graceMs())
                .isEqualTo(5);
    }
}
