package com.streamsocial.billing.gateway.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The provider's answers read totally, and when verification is on (issue 19 §1). */
class CustomerVerifierTest {
    private static Buffer b(String s) {
        return Buffer.buffer(s);
    }

    @Test
    void aCustomerIsTheTenantsOnlyWhenItsMetadataSaysSo() {
        String mine = "{\"id\":\"cus_1\",\"object\":\"customer\",\"metadata\":{\"tenant\":\"a\"}}";
        assertThat(CustomerVerifier.customer(200, b(mine), "a").verdict()).isNull();
        assertThat(CustomerVerifier.customer(200, b(mine), "b").verdict().refusal())
                .isEqualTo(CustomerVerifier.Refusal.TENANT_MISMATCH);
        assertThat(CustomerVerifier.customer(200, b("{\"object\":\"customer\",\"metadata\":{}}"), "a")
                        .verdict()
                        .refusal())
                .isEqualTo(CustomerVerifier.Refusal.TENANT_MISMATCH);
        assertThat(CustomerVerifier.customer(200, b("{\"object\":\"customer\",\"deleted\":true}"), "a")
                        .verdict()
                        .refusal())
                .isEqualTo(CustomerVerifier.Refusal.NOT_FOUND);
        assertThat(CustomerVerifier.customer(404, b("{}"), "a").verdict().refusal())
                .isEqualTo(CustomerVerifier.Refusal.NOT_FOUND);
        for (var answer :
                Map.of(200, "not json", 500, mine, 401, "{}", 429, mine).entrySet()) {
            assertThat(CustomerVerifier.customer(answer.getKey(), b(answer.getValue()), "a")
                            .verdict()
                            .unavailable())
                    .as(answer.toString())
                    .isEqualTo("error");
        }
    }

    @Test
    void aPaymentMethodPassesOnlyAttachedToTheCustomer() {
        assertThat(CustomerVerifier.paymentMethod(
                                200, b("{\"object\":\"payment_method\",\"customer\":\"cus_1\"}"), "cus_1")
                        .verdict())
                .isNull();
        assertThat(CustomerVerifier.paymentMethod(
                                200, b("{\"object\":\"payment_method\",\"customer\":{\"id\":\"cus_1\"}}"), "cus_1")
                        .verdict())
                .isNull();
        for (String other : new String[] {"\"cus_2\"", "null", "{\"id\":\"cus_2\"}"}) {
            assertThat(CustomerVerifier.paymentMethod(
                                    200, b("{\"object\":\"payment_method\",\"customer\":" + other + "}"), "cus_1")
                            .verdict()
                            .refusal())
                    .isEqualTo(CustomerVerifier.Refusal.PAYMENT_METHOD_NOT_ATTACHED);
        }
        assertThat(CustomerVerifier.paymentMethod(404, b(""), "cus_1").verdict().refusal())
                .isEqualTo(CustomerVerifier.Refusal.NOT_FOUND);
        assertThat(CustomerVerifier.paymentMethod(200, b("[1]"), "cus_1")
                        .verdict()
                        .unavailable())
                .isEqualTo("error");
        assertThat(CustomerVerifier.paymentMethod(503, b(""), "cus_1").verdict().unavailable())
                .isEqualTo("error");
    }

    @Test
    void verificationIsOnUnlessSetOffOrADevStackWithoutStripe() {
        VerificationConfig production = VerificationConfig.from(Settings.of(Map.of()));
        assertThat(production.on()).isTrue();
        assertThat(OwnershipConfig.from(Settings.of(Map.of())).devModes()).isEmpty();
        assertThat(VerificationConfig.from(Settings.of(Map.of("dev.mode", "true")))
                        .on())
                .isTrue();
        assertThat(VerificationConfig.from(Settings.of(Map.of("dev.mode", "true", "provider.kind", "paypal")))
                        .on())
                .isFalse();
        OwnershipConfig off = OwnershipConfig.from(Settings.of(Map.of(VerificationConfig.VERIFY, "false")));
        assertThat(off.verification().on()).isFalse();
        assertThat(off.devModes()).singleElement().asString().startsWith(VerificationConfig.VERIFY + "=false");
        // PayPal in production: verification cannot be done, so start-up asks for it to be set off.
        assertThatThrownBy(() -> VerificationConfig.from(Settings.of(Map.of("provider.kind", "paypal"))))
                .hasMessageContaining(VerificationConfig.VERIFY);
        // Off loopback, the key is required, and https.
        assertThatThrownBy(() ->
                        VerificationConfig.from(Settings.of(Map.of("provider.baseUrl", "https://api.stripe.com"))))
                .hasMessageContaining("provider.secretKey");
        assertThatThrownBy(() -> VerificationConfig.from(Settings.of(
                        Map.of("provider.baseUrl", "http://stripe.example", "provider.secretKey", "sk_live_x"))))
                .hasMessageContaining("https");
        assertThat(production.toString()).doesNotContain("sk_test_sandbox");
    }
}
