package com.streamsocial.billing.stack.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.sandbox.IdempotencyClaims.Claim;
import com.streamsocial.billing.stack.sandbox.IdempotencyClaims.Kind;
import com.streamsocial.billing.stack.sandbox.IdempotencyClaims.Outcome;
import com.streamsocial.billing.stack.sandbox.IdempotencyClaims.Stored;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdempotencyClaimsTest {
    private static List<Kind> kinds(List<Outcome> outcomes) {
        return outcomes.stream().map(Outcome::kind).toList();
    }

    @Test
    void eachKeyIsClaimedOnceAndGivenWithItsFirstRequestsParameters() {
        List<Claim> batch =
                List.of(new Claim("a", "h1"), new Claim("b", "h2"), new Claim("a", "h3"), new Claim("c", "h4"));
        assertThat(IdempotencyClaims.distinct(batch))
                .containsExactly(new Claim("a", "h1"), new Claim("b", "h2"), new Claim("c", "h4"));
    }

    @Test
    void resultsGoBackToTheirOwnRequestsWhateverTheOrderTheStatementAnswersIn() {
        Stored done = new Stored("h-old", true, 200, "{\"id\":\"pi_1\"}");
        Stored running = new Stored("h-run", false, null, null);
        List<Claim> batch = List.of(
                new Claim("new-1", "x"),
                new Claim("old", "h-old"),
                new Claim("run", "h-run"),
                new Claim("old-other", "changed"),
                new Claim("new-2", "y"),
                new Claim("gone", "z"));
        List<Outcome> out = IdempotencyClaims.outcomes(
                batch,
                Set.of("new-2", "new-1"),
                Map.of("old", done, "run", running, "old-other", new Stored("h-first", true, 402, "{}")));
        assertThat(kinds(out))
                .containsExactly(Kind.CLAIMED, Kind.REPLAY, Kind.IN_USE, Kind.MISMATCH, Kind.CLAIMED, Kind.IN_USE);
        assertThat(out.get(1).stored()).isEqualTo(done);
    }

    @Test
    void aKeyRepeatedInOneBatchIsClaimedByItsFirstRequestOnlyAndTheOthersSeeItRunning() {
        List<Claim> batch =
                List.of(new Claim("k", "h"), new Claim("k", "h"), new Claim("k", "other"), new Claim("k", "h"));
        List<Outcome> out = IdempotencyClaims.outcomes(batch, Set.of("k"), Map.of());
        assertThat(kinds(out)).containsExactly(Kind.CLAIMED, Kind.IN_USE, Kind.MISMATCH, Kind.IN_USE);
    }

    @Test
    void aKeyRepeatedInOneBatchAndAlreadyAnsweredIsReplayedToEveryRequestWithItsParameters() {
        Stored done = new Stored("h", true, 200, "{}");
        List<Claim> batch = List.of(new Claim("k", "h"), new Claim("k", "other"), new Claim("k", "h"));
        List<Outcome> out = IdempotencyClaims.outcomes(batch, Set.of(), Map.of("k", done));
        assertThat(kinds(out)).containsExactly(Kind.REPLAY, Kind.MISMATCH, Kind.REPLAY);
    }
}
