package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stack's supervisor, on services that are only promises: what it restarts, logs and counts. */
class StackSupervisorTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream stdout;

    /** One fake service instance: stopped when its promise completes. */
    private static final class Fake {
        final Promise<Void> stopped = Promise.promise();
        final AtomicInteger stopCalls = new AtomicInteger();

        StackSupervisor.Running running() {
            return new StackSupervisor.Running(stopped.future(), () -> "lease: the lease connection closed", () -> {
                stopCalls.incrementAndGet();
                stopped.tryComplete();
                return null;
            });
        }
    }

    @BeforeEach
    void captureStdout() {
        stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(stdout);
    }

    @Test
    void aServiceThatStopsByItselfIsStartedAgainLoggedAndCounted() throws Exception {
        List<Fake> started = new CopyOnWriteArrayList<>();
        try (StackSupervisor supervisor = new StackSupervisor()) {
            supervisor.supervise("gateway gateway-1", () -> {
                Fake f = new Fake();
                started.add(f);
                return f.running();
            });
            assertThat(started).hasSize(1);

            started.get(0).stopped.complete(); // its lease lost: it closed itself
            awaitSize(started, 2);
            awaitOutput("restarted (1 restarts so far)");
            assertThat(supervisor.restarts()).isEqualTo(1);
            assertThat(started.get(0).stopCalls)
                    .as("what was left of it stopped")
                    .hasValue(1);
            String log = out.toString(StandardCharsets.UTF_8);
            assertThat(log)
                    .contains("stack supervisor: gateway gateway-1 stopped by itself (lease: the lease connection"
                            + " closed); restart 1 of this stack in 1000 ms")
                    .contains("stack supervisor: gateway gateway-1 restarted (1 restarts so far)");

            started.get(1).stopped.complete(); // and again: the second one is watched too
            awaitSize(started, 3);
            assertThat(supervisor.restarts()).isEqualTo(2);
        }
        assertThat(started.get(2).stopCalls)
                .as("closing the supervisor stops the running instance")
                .hasValue(1);
    }

    @Test
    void aStopTheStackAsksForIsNotRestarted() throws Exception {
        List<Fake> started = new CopyOnWriteArrayList<>();
        StackSupervisor supervisor = new StackSupervisor();
        supervisor.supervise("processor processor-1", () -> {
            Fake f = new Fake();
            started.add(f);
            return f.running();
        });
        supervisor.close();
        Thread.sleep(StackSupervisor.RESTART_DELAY_MS * 2);
        assertThat(started).hasSize(1);
        assertThat(started.get(0).stopCalls).hasValue(1);
        assertThat(supervisor.restarts()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("stack supervisor:");
    }

    private void awaitOutput(String fragment) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!out.toString(StandardCharsets.UTF_8).contains(fragment) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (list.size() < size && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(list).hasSize(size);
    }
}
