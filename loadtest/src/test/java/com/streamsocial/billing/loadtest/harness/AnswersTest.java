package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.loadtest.harness.Mix.Kind;
import org.junit.jupiter.api.Test;

class AnswersTest {
    @Test
    void eachKindExpectsItsOwnAnswers() {
        assertThat(OpenLoop.expected(Kind.NEW, 202, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.NEW, 202, true)).isFalse();
        assertThat(OpenLoop.expected(Kind.NEW, 503, false)).isFalse();
        assertThat(OpenLoop.expected(Kind.DECLINE, 202, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.RETRY, 200, true)).isTrue();
        assertThat(OpenLoop.expected(Kind.RETRY, 202, true)).isTrue();
        assertThat(OpenLoop.expected(Kind.RETRY, 409, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.RETRY, 202, false)).isFalse();
        assertThat(OpenLoop.expected(Kind.CONCURRENT_DUP, 409, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.CONCURRENT_DUP, 422, false)).isFalse();
        assertThat(OpenLoop.expected(Kind.CONFLICT, 422, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.CONFLICT, 200, true)).isFalse();
        assertThat(OpenLoop.expected(Kind.INVALID, 400, false)).isTrue();
        assertThat(OpenLoop.expected(Kind.INVALID, 202, false)).isFalse();
    }

    @Test
    void durationsReadAsWritten() {
        assertThat(Durations.parse("500ms").toMillis()).isEqualTo(500);
        assertThat(Durations.parse("5s").toSeconds()).isEqualTo(5);
        assertThat(Durations.parse("2m").toSeconds()).isEqualTo(120);
        assertThat(Durations.parse("PT1S").toSeconds()).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Durations.parse("5 parsecs"))
                .hasMessageContaining("not a duration");
    }
}
