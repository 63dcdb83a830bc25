package com.streamsocial.billing.processor;

import com.streamsocial.billing.lease.LeaseCheck;
import com.streamsocial.billing.management.ServiceHealth;
import com.streamsocial.billing.metrics.HealthText;
import com.streamsocial.billing.processor.guarantee.NaiveLoop;
import com.streamsocial.billing.processor.kafka.TransactionalLoop;
import com.streamsocial.billing.processor.psp.ProviderHealth;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * Health of one processor, as the gateway's {@code Health} is of a gateway: live unless a loop died
 * for a reason a restart could fix; ready while every loop runs, no batch fails, PostgreSQL answers
 * its background probe, the provider answers, the lease is HELD and the process is not draining.
 * Both read state and the last probe only, so a scrape never waits on a dependency.
 */
final class ProcessorHealth implements ServiceHealth {
    /** How often readiness checks PostgreSQL with a {@code SELECT 1}, off the batches' path. */
    static final long PG_PROBE_INTERVAL_MS = 2_000;
    /** Probe intervals without a successful probe after which PostgreSQL counts as down (a hung probe). */
    static final int PG_PROBES_STALE = 3;

    private final List<TransactionalLoop> loops;
    private final ProviderHealth providerHealth;
    private final ProcessorConfig config;

    /** Set by the drain: readiness false for good while the loops finish. */
    private volatile boolean draining;

    /** The instance lease's state: readiness is false unless HELD (SUSPECT: PostgreSQL stalled). */
    private volatile Supplier<LeaseCheck.State> leaseState = () -> LeaseCheck.State.HELD;

    private volatile Supplier<String> leaseReason = () -> null;

    private volatile long pgOkAtMs = -1;
    private volatile String pgError = "not probed yet";

    /** {@code loops}: the verticle's own list, read as it fills. */
    ProcessorHealth(List<TransactionalLoop> loops, ProviderHealth providerHealth, ProcessorConfig config) {
        this.loops = loops;
        this.providerHealth = providerHealth;
        this.config = config;
    }

    /** Readiness follows this lease. */
    void watchLease(Supplier<LeaseCheck.State> state, Supplier<String> reason) {
        this.leaseState = state;
        this.leaseReason = reason;
    }

    /** Readiness turns false for good: the process is shutting down. */
    void startDraining() {
        draining = true;
    }

    /** Probes PostgreSQL now and then every {@link #PG_PROBE_INTERVAL_MS}. */
    void start(Vertx vertx, Pool pool) {
        probePg(pool);
        vertx.setPeriodic(PG_PROBE_INTERVAL_MS, id -> probePg(pool));
    }

    /** A {@code SELECT 1}; readiness reads only its last success, so a scrape never waits on PostgreSQL. */
    private void probePg(Pool pool) {
        pool.query("SELECT 1").execute().onComplete(ar -> {
            if (ar.succeeded()) {
                pgOkAtMs = System.currentTimeMillis();
                pgError = null;
            } else {
                // The class only: the message names the host and the user (the log has it).
                pgError = HealthText.reason(ar.cause());
            }
        });
    }

    /**
     * Live unless the loop is dead for a reason a restart could fix: then the orchestrator restarts
     * the process. A loop dead for a configuration reason stays live (a restart would die the same
     * way) and is reported by readiness.
     */
    @Override
    public JsonObject liveness() {
        TransactionalLoop dead = loops.stream()
                .filter(TransactionalLoop::deadButRestartable)
                .findFirst()
                .orElse(null);
        JsonObject body = new JsonObject()
                .put("status", dead != null ? "DOWN" : "UP")
                .put("loop", worst().state().name());
        if (dead != null) {
            body.put("cause", HealthText.reason(dead.fatalCause()));
        }
        return body;
    }

    /** Ready: every loop running, no batch failing, PostgreSQL, the provider and the lease up, not draining. */
    @Override
    public JsonObject readiness() {
        // The loop to report: a failing one if any, else the one in the worst state.
        TransactionalLoop loop = loops.stream()
                .filter(l -> l.consecutiveFailures() > 0)
                .findFirst()
                .orElseGet(this::worst);
        boolean running = loops.stream()
                .noneMatch(l ->
                        l.state() == TransactionalLoop.State.FATAL || l.state() == TransactionalLoop.State.STOPPED);
        // Batches failing in a row (provider or PostgreSQL unavailable): not ready, and say why.
        boolean degraded = loop.consecutiveFailures() > 0;
        boolean pgUp = pgOkAtMs >= 0 && System.currentTimeMillis() - pgOkAtMs <= PG_PROBES_STALE * PG_PROBE_INTERVAL_MS;
        boolean providerUp = providerHealth.up();
        LeaseCheck.State lease = leaseState.get();
        boolean leaseHeld = lease == LeaseCheck.State.HELD;
        boolean ready = running && !degraded && pgUp && providerUp && leaseHeld && !draining;
        return new JsonObject()
                .put("ready", ready)
                .put("draining", draining)
                .put("loop", loop.state().name())
                .put("consecutive_failed_batches", loop.consecutiveFailures())
                .put("last_failure", loop.lastFailure())
                // Development-only modes in effect (dev.mode=true): empty in production.
                .put("dev_modes", new JsonArray(DevModes.of(config)))
                .put("checks", checks(running, pgUp, providerUp, lease, leaseHeld));
    }

    private JsonObject checks(
            boolean running, boolean pgUp, boolean providerUp, LeaseCheck.State lease, boolean leaseHeld) {
        return new JsonObject()
                .put("kafka", new JsonObject().put("up", running).put("loops", loops.size()))
                .put("postgres", new JsonObject().put("up", pgUp).put("error", pgUp ? null : pgErrorOrStale()))
                .put("provider", new JsonObject().put("up", providerUp).put("error", providerHealth.lastError()))
                .put(
                        "lease",
                        new JsonObject()
                                .put("up", leaseHeld)
                                .put("state", lease.name())
                                .put("error", leaseHeld ? null : HealthText.shortReason(leaseReason.get())));
    }

    private String pgErrorOrStale() {
        String e = pgError;
        return e != null ? e : "no successful probe for " + PG_PROBES_STALE + " intervals";
    }

    /** The loop in the worst state (the highest ordinal: FATAL, then STOPPED, ...). */
    private TransactionalLoop worst() {
        return loops.stream()
                .max(Comparator.comparingInt(l -> l.state().ordinal()))
                .orElseThrow();
    }

    /**
     * Health of the naive guarantees (demonstration only): live unless a loop died, ready while every
     * loop runs; both name the guarantee.
     */
    static ServiceHealth naive(List<NaiveLoop> loops, ProcessorConfig config) {
        return new ServiceHealth() {
            @Override
            public JsonObject liveness() {
                boolean dead = loops.stream().anyMatch(l -> l.state() == NaiveLoop.State.FATAL);
                return new JsonObject()
                        .put("status", dead ? "DOWN" : "UP")
                        .put("guarantee", config.guarantee().wire());
            }

            @Override
            public JsonObject readiness() {
                boolean ready = loops.stream()
                        .noneMatch(l -> l.state() == NaiveLoop.State.FATAL || l.state() == NaiveLoop.State.STOPPED);
                return new JsonObject()
                        .put("ready", ready)
                        .put("guarantee", config.guarantee().wire())
                        .put("dev_modes", new JsonArray(DevModes.of(config)));
            }
        };
    }
}
