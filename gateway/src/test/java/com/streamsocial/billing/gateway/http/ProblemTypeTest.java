package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalogue names each problem type once, and a 503's reason finds its own type. */
class ProblemTypeTest {
    @Test
    void eachSlugIsNamedOnce() {
        List<String> slugs =
                Arrays.stream(ProblemType.values()).map(ProblemType::slug).toList();
        assertThat(slugs).doesNotHaveDuplicates();
    }

    @Test
    void anUnavailableReasonKeepsItsSlugAndTheSharedTitle() {
        for (String reason : List.of("draining", "store_behind", "queue_full", "transaction_failed", "not_listed")) {
            Problem p = Problem.unavailable(reason, "d", 1);
            assertThat(p.status()).isEqualTo(503);
            assertThat(p.slug()).isEqualTo(reason);
            assertThat(p.title()).isEqualTo("Service temporarily unavailable");
            assertThat(p.retryAfterS()).isEqualTo(1);
        }
        assertThat(ProblemType.ofUnavailableReason("not-found")).isNull();
    }
}
