package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Issue 19 §6: the secret key goes in plaintext only to a loopback sandbox. */
class ProviderAddressTest {
    @Test
    void plaintextIsRefusedOffLoopback() {
        for (String url : new String[] {
            "http://api.stripe.com", "http://10.0.0.5:8090", "http://127.0.0.1.evil.example", "http://[::2]:80"
        }) {
            assertThatThrownBy(() -> ProviderAddress.of(url))
                    .as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("https off loopback");
        }
    }

    @Test
    void httpsAnywhereAndPlaintextOnLoopbackAreTaken() {
        assertThat(ProviderAddress.of("https://api.stripe.com").ssl()).isTrue();
        assertThat(ProviderAddress.of("https://api-m.sandbox.paypal.com/x/").basePath())
                .isEqualTo("/x");
        for (String url :
                new String[] {"http://127.0.0.1:8090", "http://localhost:1", "http://[::1]:8090", "http://127.1.2.3"}) {
            assertThat(ProviderAddress.of(url).ssl()).as(url).isFalse();
        }
    }

    @Test
    void providerClientsNeverFollowRedirects() {
        assertThat(ProviderAddress.options(true, 1_000).isFollowRedirects()).isFalse();
    }
}
