package com.streamsocial.billing.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The key's format, checked before any hash or lookup: only the two shapes a stored key can have. */
class ApiKeysTest {
    private static final String BODY43 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";

    @Test
    void generatedKeysAndDevelopmentKeysAreWellFormed() {
        for (int i = 0; i < 1_000; i++) {
            String k = ApiKeys.newKey();
            assertThat(ApiKeys.validKey(k)).as(k).isTrue();
            assertThat(ApiKeys.bearer("Bearer " + k)).isEqualTo(k);
        }
        assertThat(ApiKeys.validKey("sk_live_" + BODY43)).isTrue();
        assertThat(ApiKeys.validKey("sk_test_local")).isTrue();
        assertThat(ApiKeys.validKey("sk_test_warmup_0a1b")).isTrue();
        assertThat(ApiKeys.validKey("sk_test_" + "a".repeat(ApiKeys.TEST_BODY_LENGTH_MAX)))
                .isTrue();
    }

    @Test
    void aWrongPrefixLengthOrAlphabetIsRefusedBeforeHashing() {
        assertThat(ApiKeys.validKey(null)).isFalse();
        assertThat(ApiKeys.validKey("sk_live_" + BODY43.substring(1))).isFalse();
        assertThat(ApiKeys.validKey("sk_live_" + BODY43 + "h")).isFalse();
        assertThat(ApiKeys.validKey("sk_live_" + BODY43.substring(1) + "_")).isFalse();
        assertThat(ApiKeys.validKey("sk_live_" + BODY43.substring(1) + "-")).isFalse();
        assertThat(ApiKeys.validKey("sk_test_")).isFalse();
        assertThat(ApiKeys.validKey("sk_test_" + "a".repeat(ApiKeys.TEST_BODY_LENGTH_MAX + 1)))
                .isFalse();
        assertThat(ApiKeys.validKey("sk_test_a-b")).isFalse();
        assertThat(ApiKeys.validKey("sk_test_\u00e9t\u00e9")).isFalse();
        assertThat(ApiKeys.validKey("pk_live_" + BODY43)).isFalse();
        assertThat(ApiKeys.validKey("SK_LIVE_" + BODY43)).isFalse();
        assertThat(ApiKeys.validKey("x".repeat(51))).isFalse();
        assertThat(ApiKeys.bearer("Bearer " + "sk_test_" + "a".repeat(10_000))).isNull();
        assertThat(ApiKeys.bearer("Bearer sk_live_" + BODY43.substring(1))).isNull();
    }
}
