package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Problem#encode} writes what {@code toJson(instance).encode()} writes, for any text. */
class ProblemTest {
    private static final String HOSTILE = "\"\\/\b\f\n\r\t\u0000\u001f\u007f é ✓ \ud83d\udcb3 </script>";

    @Test
    void theFastBodyIsTheJsonObjectsBodyByteForByte() {
        List<Problem> problems = List.of(
                Problem.of(404, "not-found", "Not found", "no such resource"),
                new Problem(429, "auth-throttled", "Too many", "retry " + HOSTILE, List.of(), 3),
                Problem.unavailable("draining", HOSTILE, 1),
                Problem.of(400, "invalid-request", HOSTILE, null));
        for (Problem p : problems) {
            for (String instance : new String[] {null, "/v1/payments", "/v1/" + HOSTILE}) {
                String fast = p.encode(instance);
                assertThat(fast)
                        .as(p + " at " + instance)
                        .isEqualTo(p.toJson(instance).encode());
                assertThat(new JsonObject(fast).getString("instance")).isEqualTo(instance);
            }
        }
    }

    @Test
    void overRandomTextTheBodiesAgreeAndParseBack() {
        Random random = new Random(17);
        for (int i = 0; i < 2_000; i++) {
            String detail = randomText(random);
            String instance = "/v1/payments/" + randomText(random);
            Problem p = Problem.of(400 + random.nextInt(200), "slug", randomText(random), detail);
            String fast = p.encode(instance);
            assertThat(fast).isEqualTo(p.toJson(instance).encode());
            assertThat(new JsonObject(fast).getString("detail")).isEqualTo(detail);
        }
    }

    @Test
    void fieldErrorsStillListEachField() {
        Problem p = Problem.invalid(List.of(
                new Problem.FieldError("amount", "must be positive"), new Problem.FieldError("currency", "unknown")));
        JsonObject body = new JsonObject(p.encode("/v1/payments"));
        assertThat(body.getJsonArray("errors")).hasSize(2);
        assertThat(body.getString("detail")).isEqualTo("2 fields are invalid");
    }

    private static String randomText(Random random) {
        StringBuilder b = new StringBuilder();
        int length = random.nextInt(24);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(4);
            b.append(
                    switch (kind) {
                        case 0 -> (char) random.nextInt(0x20);
                        case 1 -> (char) (0x20 + random.nextInt(0x60));
                        case 2 -> (char) (0xa0 + random.nextInt(0x2000));
                        default -> "\"\\/".charAt(random.nextInt(3));
                    });
        }
        return b.toString();
    }
}
