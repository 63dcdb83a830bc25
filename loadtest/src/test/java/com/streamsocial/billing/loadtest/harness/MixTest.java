package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.loadtest.harness.Mix.Kind;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixTest {
    @Test
    void picksEachKindInProportionToItsWeight() {
        Mix mix = Mix.parse("new=90,retry=4,concurrent-dup=2,conflict=1,invalid=1,decline=2");
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        for (long draw = 0; draw < 100; draw++) {
            counts.merge(mix.pick(draw), 1, Integer::sum);
        }
        assertThat(counts)
                .containsEntry(Kind.NEW, 90)
                .containsEntry(Kind.RETRY, 4)
                .containsEntry(Kind.CONCURRENT_DUP, 2)
                .containsEntry(Kind.CONFLICT, 1)
                .containsEntry(Kind.INVALID, 1)
                .containsEntry(Kind.DECLINE, 2);
    }

    @Test
    void negativeDrawsAreMappedIntoTheRange() {
        Mix mix = Mix.parse("new=1,invalid=1");
        assertThat(mix.pick(-1)).isEqualTo(Kind.INVALID);
        assertThat(mix.pick(Long.MIN_VALUE)).isEqualTo(Kind.NEW);
    }

    @Test
    void zeroWeightsNeverComeUp() {
        Mix mix = Mix.parse("new=0, decline=3");
        for (long draw = 0; draw < 10; draw++) {
            assertThat(mix.pick(draw)).isEqualTo(Kind.DECLINE);
        }
        assertThat(mix.toString()).isEqualTo("decline=3");
    }

    @Test
    void refusesWhatItDoesNotUnderstand() {
        assertThatThrownBy(() -> Mix.parse("new=90,refund=10")).hasMessageContaining("refund");
        assertThatThrownBy(() -> Mix.parse("new")).hasMessageContaining("kind=weight");
        assertThatThrownBy(() -> Mix.parse("new=x")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> Mix.parse("new=-1")).hasMessageContaining("negative");
        assertThatThrownBy(() -> Mix.parse("new=1,new=2")).hasMessageContaining("twice");
        assertThatThrownBy(() -> Mix.parse("new=0")).hasMessageContaining("positive");
    }
}
