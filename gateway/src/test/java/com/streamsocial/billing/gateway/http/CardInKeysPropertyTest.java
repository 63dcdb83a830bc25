package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6, as properties over seeded random cases (plain JUnit, a fixed seed per case): a
 * Luhn-valid card number written any way people write one, with anything around it, in a metadata
 * key is refused {@code 422} naming {@code metadata} and echoing nothing of the key; the number with
 * its check digit broken is accepted.
 */
class CardInKeysPropertyTest {
    private static final String SEPARATORS = " -./_\u00a0\u2013\u2009";
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";

    @Test
    void aCardNumberInAMetadataKeyIsRefusedWhereverAndHoweverWritten() {
        for (long seed = 0; seed < 2_000; seed++) {
            Random random = new Random(seed);
            String digits = luhnValid(random, 13 + random.nextInt(7));
            String key = letters(random) + grouped(random, digits) + letters(random);
            RequestValidator.Result r = validate(key);
            assertThat(r.problem()).as("seed %d, key %s", seed, key).isNotNull();
            assertThat(r.problem().status()).as("seed %d", seed).isEqualTo(422);
            assertThat(r.problem().errors())
                    .extracting(Problem.FieldError::field)
                    .as("seed %d", seed)
                    .containsExactly("metadata");
            assertThat(r.problem().toJson("/v1/payments").encode())
                    .as("seed %d", seed)
                    .doesNotContain(digits.substring(0, 6));
        }
    }

    @Test
    void theSameKeyWithABrokenCheckDigitIsAccepted() {
        for (long seed = 0; seed < 2_000; seed++) {
            Random random = new Random(seed);
            String digits = luhnValid(random, 13 + random.nextInt(7));
            // Another last digit fails Luhn; one unbroken run between letters is only a candidate whole
            // (grouped, a shorter window at a group boundary could pass Luhn by chance).
            char last = digits.charAt(digits.length() - 1);
            String broken = digits.substring(0, digits.length() - 1) + (char) ('0' + (last - '0' + 1) % 10);
            String key = "a" + broken + "z";
            assertThat(CardNumbers.containsCardNumber(key))
                    .as("seed %d, key %s", seed, key)
                    .isFalse();
            assertThat(validate(key).problem()).as("seed %d, key %s", seed, key).isNull();
        }
    }

    private static RequestValidator.Result validate(String metadataKey) {
        String body = new JsonObject()
                .put("amount", 100)
                .put("currency", "EUR")
                .put("customer_id", "cus_1")
                .put("payment_method", "pm_card_visa")
                .put("metadata", new JsonObject().put(metadataKey, "v"))
                .encode();
        return RequestValidator.validate("default", "key-1", "application/json", Buffer.buffer(body));
    }

    /** {@code length} digits, the last one the Luhn check digit of the others. */
    static String luhnValid(Random random, int length) {
        int[] d = new int[length];
        d[0] = 1 + random.nextInt(9);
        for (int i = 1; i < length - 1; i++) {
            d[i] = random.nextInt(10);
        }
        int sum = 0;
        for (int i = length - 2, k = 0; i >= 0; i--, k++) {
            int v = k % 2 == 0 ? d[i] * 2 : d[i];
            sum += v > 9 ? v - 9 : v;
        }
        d[length - 1] = (10 - sum % 10) % 10;
        StringBuilder b = new StringBuilder();
        for (int v : d) {
            b.append(v);
        }
        return b.toString();
    }

    /** The digits in random groups of 1 to 6, each gap one random separator or none. */
    static String grouped(Random random, String digits) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < digits.length()) {
            int g = Math.min(digits.length() - i, 1 + random.nextInt(6));
            if (i > 0 && random.nextBoolean()) {
                b.append(SEPARATORS.charAt(random.nextInt(SEPARATORS.length())));
            }
            b.append(digits, i, i + g);
            i += g;
        }
        return b.toString();
    }

    private static String letters(Random random) {
        StringBuilder b = new StringBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
            b.append(LETTERS.charAt(random.nextInt(LETTERS.length())));
        }
        return b.toString();
    }
}
