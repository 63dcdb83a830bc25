package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.refund.RefundReason;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RefundRequestValidatorTest {
    private static final String JSON = "application/json";

    private static RefundRequestValidator.Result v(String contentType, String body) {
        return RefundRequestValidator.validate(
                "t", "pay_1", "rk-1", contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anEmptyBodyRefundsTheRestAndFieldsAreRead() {
        RefundRequest rest = v(null, "").request();
        assertThat(rest.amountMinor()).isEmpty();
        assertThat(rest.reason()).isEmpty();
        assertThat(v(null, null).request()).isEqualTo(rest);
        assertThat(rest.refundId()).isEqualTo(RefundIds.refundId("t", "rk-1"));
        RefundRequest some =
                v(JSON, "{\"amount\":250,\"reason\":\"duplicate\"}").request();
        assertThat(some.amountMinor()).isEqualTo(OptionalLong.of(250));
        assertThat(some.reason()).isEqualTo(Optional.of(RefundReason.DUPLICATE));
        assertThat(v(JSON, "{}").request()).isEqualTo(rest);
    }

    @Test
    void theRequestHashTellsEveryFieldApart() {
        String rest = v(null, "").request().requestHash();
        assertThat(v(JSON, "{}").request().requestHash()).isEqualTo(rest);
        assertThat(v(JSON, "{\"amount\":1}").request().requestHash()).isNotEqualTo(rest);
        assertThat(v(JSON, "{\"reason\":\"fraudulent\"}").request().requestHash())
                .isNotEqualTo(rest);
        RefundRequest other = RefundRequestValidator.validate("t", "pay_2", "rk-1", null, null)
                .request();
        assertThat(other.requestHash()).isNotEqualTo(rest);
        assertThat(other.refundId()).isEqualTo(v(null, "").request().refundId());
    }

    @Test
    void badFieldsAreNamed() {
        assertThat(v(JSON, "{\"amount\":0}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("amount");
        assertThat(v(JSON, "{\"amount\":100000000}").problem().status()).isEqualTo(400);
        assertThat(v(JSON, "{\"amount\":1.5}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("amount");
        assertThat(v(JSON, "{\"amount\":\"5\"}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("amount");
        assertThat(v(JSON, "{\"amount\":null}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("amount");
        assertThat(v(JSON, "{\"reason\":\"because\"}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("reason");
        assertThat(v(JSON, "{\"currency\":\"USD\",\"amount\":-1}").problem().errors())
                .extracting(Problem.FieldError::field)
                .containsExactlyInAnyOrder("currency", "amount");
        assertThat(v(JSON, "{\"amount\":1,\"amount\":2}").problem().status()).isEqualTo(400);
        assertThat(v(JSON, "[1]").problem().status()).isEqualTo(400);
        assertThat(v("text/plain", "{}").problem().status()).isEqualTo(415);
        assertThat(v(JSON, "{\"reason\":\"" + "x".repeat(2000) + "\"}")
                        .problem()
                        .status())
                .isEqualTo(413);
        assertThat(RefundRequestValidator.validate("t", "pay_1", null, null, null)
                        .problem()
                        .slug())
                .isEqualTo("missing-idempotency-key");
    }

    @Test
    void anyBytesGiveARequestOrAProblemNeverAnException() {
        Random rnd = new Random(21);
        String[] pieces = {
            "{",
            "}",
            "\"amount\"",
            "\"reason\"",
            ":",
            ",",
            "1",
            "-",
            "99999999999999999999",
            "null",
            "\"duplicate\"",
            "[",
            "]",
            "\\u0000",
            "\u00e9",
            "\"",
            " ",
            "1e3",
            "true"
        };
        int requests = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = rnd.nextInt(10); n > 0; n--) {
                b.append(pieces[rnd.nextInt(pieces.length)]);
            }
            RefundRequestValidator.Result r = v(JSON, b.toString());
            assertThat(r.request() == null).isNotEqualTo(r.problem() == null);
            requests += r.request() == null ? 0 : 1;
            if (r.problem() != null) {
                assertThat(r.problem().status()).isBetween(400, 499);
            }
        }
        assertThat(requests).isPositive();
    }
}
