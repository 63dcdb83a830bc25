package com.streamsocial.billing.loadtest.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacerTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void handsTheDueCountsToTheContextInOrderUpToTheTotal() throws Exception {
        Context context = vertx.getOrCreateContext();
        Schedule schedule = new Schedule(System.nanoTime(), 2_000, TimeUnit.MILLISECONDS.toNanos(200));
        List<Long> counts = new CopyOnWriteArrayList<>();
        List<Boolean> onContext = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        new Pacer("pacer-test", schedule, context, due -> {
            counts.add(due);
            onContext.add(Vertx.currentContext() == context);
            if (due == schedule.total()) {
                done.complete(null);
            }
        });
        done.get(10, TimeUnit.SECONDS);
        assertThat(schedule.total()).isEqualTo(400);
        assertThat(counts).isSorted().doesNotHaveDuplicates().last().isEqualTo(400L);
        assertThat(onContext).containsOnly(true);
        // Batched by the tick: far fewer hand-overs than requests, yet more than one.
        assertThat(counts.size()).isBetween(2, 399);
    }

    @Test
    void anEmptyScheduleStillEndsThroughTheHandler() throws Exception {
        Schedule schedule = new Schedule(System.nanoTime(), 1, TimeUnit.MILLISECONDS.toNanos(10));
        CompletableFuture<Long> got = new CompletableFuture<>();
        new Pacer("pacer-test", schedule, vertx.getOrCreateContext(), got::complete);
        assertThat(got.get(10, TimeUnit.SECONDS)).isZero();
    }
}
