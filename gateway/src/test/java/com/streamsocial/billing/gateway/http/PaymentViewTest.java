package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.payment.PaymentRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The spliced answer text is the view that parsing and encoding gave: same members, same order. */
class PaymentViewTest {
    private static final String ALPHABET = "ab\"\\/\n\t\u00e9\u20ac\ud83d\ude00{}[],:0 ";

    @Test
    void theSplicedTextIsTheParsedViewForRandomRequests() {
        Random random = new Random(20261206L);
        for (int n = 0; n < 2_000; n++) {
            Map<String, String> metadata = new LinkedHashMap<>();
            for (int k = random.nextInt(4); k > 0; k--) {
                metadata.put(text(random, 1 + random.nextInt(8)), text(random, random.nextInt(12)));
            }
            PaymentRequest r = PaymentRequest.of(
                    "tenant-" + random.nextInt(3),
                    "key-" + n,
                    1 + random.nextInt(1_000_000),
                    "USD",
                    "cus_" + text(random, 6),
                    "pm_card_visa",
                    random.nextBoolean() ? null : text(random, random.nextInt(40)),
                    metadata);
            String status = random.nextBoolean() ? "pending" : "failed";
            String failure = random.nextBoolean() ? null : text(random, 10);

            String spliced = PaymentView.json(r, status, failure);
            JsonObject parsed = PaymentView.of(r.paymentId(), status, failure, new JsonObject(r.canonical()));

            assertThat(new JsonObject(spliced)).as(spliced).isEqualTo(parsed);
            assertThat(names(new JsonObject(spliced))).isEqualTo(names(parsed));
            assertThat(spliced).isEqualTo(parsed.encode());
        }
    }

    private static List<String> names(JsonObject o) {
        return new ArrayList<>(o.fieldNames());
    }

    private static String text(Random random, int length) {
        StringBuilder b = new StringBuilder();
        while (b.length() < length) {
            int i = random.nextInt(ALPHABET.length());
            char c = ALPHABET.charAt(i);
            if (Character.isHighSurrogate(c)) {
                b.append(c).append(ALPHABET.charAt(i + 1));
            } else if (!Character.isLowSurrogate(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }
}
