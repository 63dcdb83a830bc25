package com.streamsocial.billing.service;

import com.streamsocial.billing.lease.InstanceLease;
import com.streamsocial.billing.lease.LeaseHeldException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The process around one service, as both {@code gateway.jar} and {@code processor.jar} run it: its
 * exit statuses, a start that exits when it fails, the exit on a lost instance lease, and the SIGTERM
 * hook that drains within {@code shutdown.drainTimeoutMs} and then halts with the stop's status.
 */
public final class ServiceProcess {
    /** Exit statuses, as both jars' usage states them. The start failed (an invalid setting included). */
    public static final int EXIT_START_FAILED = 1;

    public static final int EXIT_USAGE = 2;
    /** Another live process holds the instance id: nothing was started, nothing fenced. */
    public static final int EXIT_INSTANCE_HELD = 3;
    /** The instance lease was lost while running: the service stopped serving. */
    public static final int EXIT_LEASE_LOST = 4;
    /** SIGTERM's drain did not finish within {@code shutdown.drainTimeoutMs}; the process exits anyway. */
    public static final int EXIT_DRAIN_TIMEOUT = 6;

    /** What a stop checks once the service and its Vert.x are closed; it throws when the drain fell short. */
    @FunctionalInterface
    public interface DrainCheck {
        void check() throws Exception;
    }

    private final String name;
    /** What the shutdown hook exits with: 0 after SIGTERM, or what {@code System.exit} asked for. */
    private volatile int exitStatus = 0;

    /** {@code name}, "gateway" or "processor", starts its messages and names its threads. */
    public ServiceProcess(String name) {
        this.name = name;
    }

    /**
     * The deployed service, or the process exits: {@link #EXIT_INSTANCE_HELD} when another live process
     * holds the instance lease, {@link #EXIT_START_FAILED} for any other failure.
     */
    public <S> S deployOrExit(Supplier<Future<S>> deploy) {
        try {
            return deploy.get().await();
        } catch (Throwable e) {
            LeaseHeldException held = LeaseHeldException.in(e);
            if (held == null) {
                // Exit instead of leaving the JVM up on Vert.x's threads with nothing deployed.
                System.err.println(name + " failed to start: " + e);
                e.printStackTrace();
                System.exit(EXIT_START_FAILED);
                throw new IllegalStateException("unreachable", e);
            }
            // Nothing was started: no producer, no consumer (so nothing fenced), no listener.
            System.err.println(name + " refused to start: " + held.getMessage());
            System.exit(EXIT_INSTANCE_HELD);
            throw new IllegalStateException("unreachable", e);
        }
    }

    /** A lost lease stops the process with {@link #EXIT_LEASE_LOST}: the service may be a zombie. */
    public void exitOnLeaseLost(InstanceLease lease, String instanceId) {
        lease.onLost(e -> {
            System.err.println(name + " " + instanceId + " lost its instance lease (" + e + "); stopping");
            exitStatus = EXIT_LEASE_LOST;
            // Not on this event loop: exiting waits for the shutdown hook, which needs the event loops.
            new Thread(() -> System.exit(EXIT_LEASE_LOST), name + "-lease-lost").start();
        });
    }

    /**
     * Installs the hook SIGTERM (or {@code System.exit}) runs: {@code drain}, then Vert.x closed, both
     * within {@code drainTimeoutMs}, then {@code check}; then the process halts with 0, the status
     * {@code System.exit} asked for, or {@link #EXIT_DRAIN_TIMEOUT}. Returns once the hook has run.
     */
    public void drainOnShutdown(
            Vertx vertx, String instanceId, long drainTimeoutMs, Supplier<Future<Void>> drain, DrainCheck check)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> drainAndHalt(vertx, instanceId, drainTimeoutMs, drain, check, stopped),
                        name + "-shutdown"));
        stopped.await();
    }

    private void drainAndHalt(
            Vertx vertx,
            String instanceId,
            long drainTimeoutMs,
            Supplier<Future<Void>> drain,
            DrainCheck check,
            CountDownLatch stopped) {
        int status = exitStatus;
        long deadline = System.currentTimeMillis() + drainTimeoutMs;
        try {
            drain.get().toCompletionStage().toCompletableFuture().get(drainTimeoutMs, TimeUnit.MILLISECONDS);
            vertx.close()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            check.check();
            System.err.println(name + " " + instanceId + " drained and stopped");
        } catch (Exception e) {
            System.err.println(
                    name + " did not drain within shutdown.drainTimeoutMs (" + drainTimeoutMs + " ms): " + e);
            status = status == 0 ? EXIT_DRAIN_TIMEOUT : status;
        } finally {
            stopped.countDown();
        }
        System.out.flush();
        System.err.flush();
        // A JVM ended by SIGTERM exits 143 whatever its hooks did; a completed drain
        // is a clean stop, so say so with 0 (or the status System.exit asked for).
        Runtime.getRuntime().halt(status);
    }
}
