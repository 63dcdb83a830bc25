package com.streamsocial.billing.processor.guarantee;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.guarantee.NaiveLoop.State;
import java.util.List;
import org.junit.jupiter.api.Test;

class NaiveLoopTest {
    @Test
    void eachGuaranteesOrderIsAllowedAndNothingElseIs() {
        List<List<State>> paths = List.of(
                List.of(State.STARTING, State.POLLING, State.PROCESSING, State.COMMITTING, State.POLLING),
                List.of(State.POLLING, State.COMMITTING, State.PROCESSING, State.POLLING),
                List.of(State.POLLING, State.PROCESSING, State.POLLING, State.STOPPED),
                List.of(State.COMMITTING, State.FATAL));
        for (List<State> path : paths) {
            for (int i = 1; i < path.size(); i++) {
                assertThat(path.get(i - 1).canTransitionTo(path.get(i)))
                        .as("%s -> %s", path.get(i - 1), path.get(i))
                        .isTrue();
            }
        }
        for (State s : State.values()) {
            assertThat(s.canTransitionTo(s)).as("%s to itself", s).isFalse();
            assertThat(s.canTransitionTo(State.STARTING))
                    .as("%s back to STARTING", s)
                    .isFalse();
        }
        for (State s : State.values()) {
            assertThat(State.STOPPED.canTransitionTo(s)).isFalse();
            assertThat(State.FATAL.canTransitionTo(s)).isFalse();
        }
    }
}
