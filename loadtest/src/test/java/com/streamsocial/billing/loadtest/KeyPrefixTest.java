package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.http.CardNumbers;
import org.junit.jupiter.api.Test;

class KeyPrefixTest {
    /** A run started at this millisecond got 422 card-data-refused for every payment (its digits pass Luhn). */
    private static final long LUHN_VALID_MS = 1_796_533_995_231L;

    @Test
    void theDefaultPrefixNeverLooksLikeACardNumber() {
        assertThat(CardNumbers.containsCardNumber(Long.toString(LUHN_VALID_MS))).isTrue();
        for (long ms = LUHN_VALID_MS; ms < LUHN_VALID_MS + 100_000; ms++) {
            String prefix = Main.defaultKeyPrefix("run", ms);
            if (CardNumbers.containsCardNumber(prefix)) {
                throw new AssertionError(prefix + " looks like a card number");
            }
        }
    }

    @Test
    void theDefaultPrefixDiffersPerMillisecond() {
        assertThat(Main.defaultKeyPrefix("run", LUHN_VALID_MS))
                .isNotEqualTo(Main.defaultKeyPrefix("run", LUHN_VALID_MS + 1));
        assertThat(Main.defaultKeyPrefix("max", LUHN_VALID_MS)).startsWith("max-");
    }
}
