package com.streamsocial.billing.loadtest;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The local stack's orchestrator: a gateway or processor that stops by itself (its lease lost) is
 * started again, each time with a line {@value #LOG_PREFIX}... on stdout and one more in {@link
 * #restarts()}, as Kubernetes or systemd would restart a process that exited. A stop the stack asks
 * for ({@link #close()}) is not restarted.
 */
final class StackSupervisor implements AutoCloseable {
    static final String LOG_PREFIX = "stack supervisor: ";

    /** The first restart waits this long, each next one twice as long, up to {@link #RESTART_DELAY_MAX_MS}. */
    static final long RESTART_DELAY_MS = 1_000;

    static final long RESTART_DELAY_MAX_MS = 30_000;

    /**
     * A service running: {@code stopped} completes when it has stopped, for whatever reason; {@code
     * why} says why it stopped (read then); {@code stop} stops it and everything it owns (its Vert.x).
     */
    record Running(Future<Void> stopped, Supplier<String> why, Callable<Void> stop) {}

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stack-supervisor");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger restarts = new AtomicInteger();
    private final List<Slot> slots = new ArrayList<>();
    private volatile boolean closing;

    /** One supervised service: its name, how to start it, and the instance now running. */
    private final class Slot {
        final String name;
        final Callable<Running> start;
        volatile Running current;
        int failedStarts;

        Slot(String name, Callable<Running> start) {
            this.name = name;
            this.start = start;
        }

        void watch(Running r) {
            current = r;
            r.stopped().onComplete(ar -> {
                if (!closing) {
                    stoppedByItself(this, r);
                }
            });
        }
    }

    /** Starts {@code name} now (a failure is thrown, as at the stack's start) and supervises it. */
    synchronized void supervise(String name, Callable<Running> start) throws Exception {
        Slot slot = new Slot(name, start);
        slot.watch(start.call());
        slots.add(slot);
    }

    /** Restarts so far, of every service. */
    int restarts() {
        return restarts.get();
    }

    private void stoppedByItself(Slot slot, Running old) {
        int n = restarts.incrementAndGet();
        System.out.printf(
                "%s%s stopped by itself (%s); restart %d of this stack in %d ms%n",
                LOG_PREFIX, slot.name, old.why().get(), n, RESTART_DELAY_MS);
        executor.schedule(() -> restart(slot, old), RESTART_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    /** On the supervisor's thread: stops what is left of the old instance, then starts a new one. */
    private void restart(Slot slot, Running old) {
        if (closing) {
            return;
        }
        try {
            old.stop().call();
        } catch (Exception e) {
            System.err.println(LOG_PREFIX + slot.name + ": the stopped instance did not close cleanly: " + e);
        }
        try {
            Running next = slot.start.call();
            slot.failedStarts = 0;
            System.out.println(LOG_PREFIX + slot.name + " restarted (" + restarts.get() + " restarts so far)");
            slot.watch(next);
        } catch (Exception e) {
            // The database may still be away: try again later, more slowly, as an orchestrator backs off.
            long delayMs = Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MS << Math.min(5, ++slot.failedStarts));
            System.err.printf("%s%s did not start (%s); trying again in %d ms%n", LOG_PREFIX, slot.name, e, delayMs);
            executor.schedule(() -> restart(slot, old), delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops supervising, then stops every service in the order they were started (the gateway first). */
    @Override
    public void close() {
        closing = true;
        executor.shutdownNow();
        try {
            executor.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Slot> all;
        synchronized (this) {
            all = new ArrayList<>(slots);
        }
        for (Slot s : all) {
            try {
                s.current.stop().call();
            } catch (Exception e) {
                System.err.println("services did not stop cleanly: " + s.name + ": " + e);
            }
        }
    }
}
