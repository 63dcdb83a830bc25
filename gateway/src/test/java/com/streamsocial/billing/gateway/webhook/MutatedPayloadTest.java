package com.streamsocial.billing.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.webhook.StripeSignature.Refusal;
import com.streamsocial.billing.gateway.webhook.StripeSignature.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Signed Stripe payloads changed in one place, by plain loops over a seeded {@link Random} (the seed
 * is in each failure's message): a changed, inserted or removed byte of the body, and a changed byte of
 * the signature, are always refused; the unchanged payload always verifies.
 */
class MutatedPayloadTest {
    private static final long SEED = 21_2L;
    private static final int CASES = 5_000;
    private static final List<String> SECRETS = List.of("whsec_mutation_current", "whsec_mutation_old");
    private static final long T = 1_765_000_000L;
    /** The characters of a note: any, with non-ASCII ones, so that multi-byte UTF-8 is mutated too. */
    private static final String TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_/éü€漢";

    private static byte[] randomEvent(Random random) {
        StringBuilder b = new StringBuilder("{\"id\":\"evt_")
                .append(Long.toString(random.nextLong() & Long.MAX_VALUE, 36))
                .append("\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{\"amount\":")
                .append(random.nextInt(100_000_000))
                .append(",\"note\":\"");
        int extra = random.nextInt(512);
        for (int i = 0; i < extra; i++) {
            b.append(TEXT.charAt(random.nextInt(TEXT.length())));
        }
        return b.append("\"}}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Verdict verify(String header, byte[] body) {
        return StripeSignature.verify(header, body, SECRETS, T, StripeSignature.TOLERANCE_S_DEFAULT);
    }

    @Test
    void anyChangedInsertedOrRemovedBodyByteIsRefused() {
        Random random = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            byte[] body = randomEvent(random);
            String header = StripeSignature.header(body, SECRETS.get(random.nextInt(SECRETS.size())), T);
            assertThat(verify(header, body))
                    .as("case %d of seed %d, unchanged", i, SEED)
                    .isInstanceOf(Verdict.Verified.class);
            int at = random.nextInt(body.length);
            byte[] mutated = switch (random.nextInt(3)) {
                case 0 -> {
                    byte[] m = body.clone();
                    m[at] = (byte) (m[at] ^ (1 + random.nextInt(255)));
                    yield m;
                }
                case 1 -> {
                    byte[] m = new byte[body.length + 1];
                    System.arraycopy(body, 0, m, 0, at);
                    m[at] = (byte) random.nextInt(256);
                    System.arraycopy(body, at, m, at + 1, body.length - at);
                    yield m;
                }
                default -> {
                    byte[] m = new byte[body.length - 1];
                    System.arraycopy(body, 0, m, 0, at);
                    System.arraycopy(body, at + 1, m, at, body.length - at - 1);
                    yield m;
                }
            };
            assertThat(verify(header, mutated))
                    .as("case %d of seed %d: byte %d", i, SEED, at)
                    .isEqualTo(new Verdict.Refused(Refusal.SIGNATURE_MISMATCH));
        }
    }

    @Test
    void anyChangedHexDigitOfTheSignatureIsRefused() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < CASES; i++) {
            byte[] body = randomEvent(random);
            String header = StripeSignature.header(body, SECRETS.get(0), T);
            int hexStart = header.indexOf("v1=") + 3;
            int at = hexStart + random.nextInt(64);
            char was = header.charAt(at);
            char now = "0123456789abcdef".charAt(random.nextInt(16));
            if (now == was) {
                now = was == '0' ? '1' : '0';
            }
            String mutated = header.substring(0, at) + now + header.substring(at + 1);
            assertThat(verify(mutated, body))
                    .as("case %d of seed %d: character %d", i, SEED + 1, at)
                    .isEqualTo(new Verdict.Refused(Refusal.SIGNATURE_MISMATCH));
        }
    }

    @Test
    void aTimestampChangedWithinTheToleranceIsRefused() {
        Random random = new Random(SEED + 2);
        for (int i = 0; i < CASES; i++) {
            byte[] body = randomEvent(random);
            String header = StripeSignature.header(body, SECRETS.get(0), T);
            long shifted = T + 1 + random.nextInt(300);
            String mutated = header.replace("t=" + T, "t=" + (random.nextBoolean() ? shifted : 2 * T - shifted));
            assertThat(verify(mutated, body))
                    .as("case %d of seed %d", i, SEED + 2)
                    .isEqualTo(new Verdict.Refused(Refusal.SIGNATURE_MISMATCH));
        }
    }
}
