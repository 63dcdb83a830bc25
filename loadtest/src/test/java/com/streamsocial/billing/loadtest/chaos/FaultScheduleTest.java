package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.loadtest.chaos.FaultSchedule.Fault;
import com.streamsocial.billing.loadtest.chaos.FaultSchedule.Target;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
    private static final List<Target> ALL = List.of(Target.GATEWAY, Target.PROCESSOR, Target.BROKER);
    private static final Map<Target, Integer> TWO_EACH =
            Map.of(Target.GATEWAY, 2, Target.PROCESSOR, 2, Target.BROKER, 1);

    @Test
    void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
        FaultSchedule a = FaultSchedule.generate(42, 50, ALL, TWO_EACH, 1_000, 5_000);
        assertThat(FaultSchedule.generate(42, 50, ALL, TWO_EACH, 1_000, 5_000)).isEqualTo(a);
        assertThat(FaultSchedule.generate(43, 50, ALL, TWO_EACH, 1_000, 5_000)).isNotEqualTo(a);
    }

    @Test
    void overManySeedsEveryFaultIsWithinItsBoundsAndEveryRoundHitsEveryTarget() {
        for (long seed = 0; seed < 500; seed++) {
            int kills = (int) (seed % 17);
            List<Fault> faults =
                    FaultSchedule.generate(seed, kills, ALL, TWO_EACH, 200, 900).faults();
            assertThat(faults).hasSize(kills);
            for (int i = 0; i < faults.size(); i++) {
                Fault f = faults.get(i);
                assertThat(f.index()).isEqualTo(i);
                assertThat(f.waitMs()).isBetween(200L, 900L);
                assertThat(f.instance()).isGreaterThanOrEqualTo(0).isLessThan(TWO_EACH.get(f.target()));
            }
            for (int round = 0; round + 3 <= faults.size(); round += 3) {
                Set<Target> hit = EnumSet.noneOf(Target.class);
                faults.subList(round, round + 3).forEach(f -> hit.add(f.target()));
                assertThat(hit).as("seed %d round at %d", seed, round).containsExactlyInAnyOrderElementsOf(ALL);
            }
        }
    }

    @Test
    void onlyTheNamedTargetsAndBothEndsOfTheIntervalAreDrawn() {
        List<Fault> faults = FaultSchedule.generate(7, 400, List.of(Target.PROCESSOR), TWO_EACH, 10, 11)
                .faults();
        assertThat(faults).allMatch(f -> f.target() == Target.PROCESSOR);
        assertThat(faults).anyMatch(f -> f.waitMs() == 10).anyMatch(f -> f.waitMs() == 11);
        assertThat(faults).anyMatch(f -> f.instance() == 0).anyMatch(f -> f.instance() == 1);
    }

    @Test
    void aScheduleWithoutPostgresIsWhatItWasForItsSeed() {
        // Seed 8's six kills as drawn before the postgres target existed (docs/CHAOS.md's ChaosCommandIT run):
        // postgres draws its kind and stall only for its own faults.
        List<Fault> faults = FaultSchedule.generate(
                        8, 6, ALL, Map.of(Target.GATEWAY, 1, Target.PROCESSOR, 1, Target.BROKER, 1), 2_000, 5_000)
                .faults();
        assertThat(faults)
                .extracting(Fault::target)
                .containsExactly(
                        Target.PROCESSOR,
                        Target.BROKER,
                        Target.GATEWAY,
                        Target.PROCESSOR,
                        Target.BROKER,
                        Target.GATEWAY);
        assertThat(faults).extracting(Fault::waitMs).containsExactly(4834L, 2125L, 2156L, 2653L, 2479L, 4994L);
        assertThat(faults).allMatch(f -> f.stallMs() == 0 && !f.stall());
    }

    @Test
    void aPostgresFaultIsAStallWithinItsBoundsOrSometimesABackendKill() {
        List<Target> withPostgres = List.of(Target.GATEWAY, Target.PROCESSOR, Target.BROKER, Target.POSTGRES);
        Map<Target, Integer> instances =
                Map.of(Target.GATEWAY, 2, Target.PROCESSOR, 2, Target.BROKER, 1, Target.POSTGRES, 4);
        List<Fault> postgres = new java.util.ArrayList<>();
        for (long seed = 0; seed < 300; seed++) {
            for (Fault f : FaultSchedule.generate(seed, 12, withPostgres, instances, 0, 10)
                    .faults()) {
                if (f.target() == Target.POSTGRES) {
                    postgres.add(f);
                } else {
                    assertThat(f.stallMs()).as("only postgres stalls").isZero();
                }
            }
        }
        assertThat(postgres).hasSize(900);
        long kills = postgres.stream().filter(f -> !f.stall()).count();
        assertThat(postgres)
                .filteredOn(Fault::stall)
                .allMatch(f -> f.stallMs() >= FaultSchedule.STALL_MS_MIN && f.stallMs() <= FaultSchedule.STALL_MS_MAX);
        // One in three, give or take the draw (fixed seeds: the count is the same every run).
        assertThat(kills)
                .isBetween(
                        900L / FaultSchedule.BACKEND_KILL_ONE_IN - 60, 900L / FaultSchedule.BACKEND_KILL_ONE_IN + 60);
        assertThat(postgres).anyMatch(f -> f.stallMs() < 3_000).anyMatch(f -> f.stallMs() > 14_000);
        assertThat(postgres).extracting(Fault::instance).contains(0, 1, 2, 3).allMatch(i -> i < 4);
    }

    @Test
    void flagsAreParsedOrRefusedWithTheReason() {
        assertThat(FaultSchedule.parseInterval("100, 200")).containsExactly(100, 200);
        assertThat(FaultSchedule.parseTargets("broker,gateway")).containsExactly(Target.BROKER, Target.GATEWAY);
        assertThat(FaultSchedule.parseTargets("postgres,processor")).containsExactly(Target.POSTGRES, Target.PROCESSOR);
        assertThatThrownBy(() -> FaultSchedule.parseInterval("200,100")).hasMessageContaining("MIN <= MAX");
        assertThatThrownBy(() -> FaultSchedule.parseInterval("5")).hasMessageContaining("MIN,MAX");
        assertThatThrownBy(() -> FaultSchedule.parseTargets("gateway,zookeeper"))
                .hasMessageContaining("zookeeper");
        assertThatThrownBy(() -> FaultSchedule.parseTargets("broker,broker")).hasMessageContaining("twice");
        assertThatThrownBy(() -> FaultSchedule.generate(1, 1, ALL, Map.of(Target.GATEWAY, 1), 0, 1))
                .hasMessageContaining("no instance");
    }
}
