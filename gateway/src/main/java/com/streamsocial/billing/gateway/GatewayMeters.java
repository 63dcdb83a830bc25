package com.streamsocial.billing.gateway;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * Every meter the gateway defines, named once (Micrometer names; Prometheus adds {@code _total} to
 * counters and {@code _seconds} to timers). Tags are closed sets: a reason, a cause, a stage, a lane
 * number, never an id, key or tenant. Requests by route and status, with their latency, are Vert.x's
 * own ({@code vertx_http_server_*}) when the gateway runs on {@link ServiceMetrics#vertx}.
 */
public final class GatewayMeters {
    /** Why a request was shed with 503 or 429 (Retry-After): a closed set. */
    public enum Shed {
        QUEUE_FULL("queue_full", 503),
        RATE_LIMITED("rate_limited", 429),
        AUTH_UNAVAILABLE("auth_unavailable", 503),
        READS_UNAVAILABLE("reads_unavailable", 503),
        /** SIGTERM: the instance drains, the client retries on another. */
        DRAINING("draining", 503),
        /** PostgreSQL has not taken the accepted marks of CommitLane.UNMARKED_IDS_MAX committed payments. */
        STORE_BEHIND("store_behind", 503);

        final String reason;
        final int status;

        Shed(String reason, int status) {
            this.reason = reason;
            this.status = status;
        }
    }

    private final ServiceMetrics metrics;
    private final MeterRegistry registry;
    final Counter accepted;
    final Counter replayed;
    final Counter commitRetries;
    final DistributionSummary batchSize;
    final Timer linger;
    final Timer commit;
    final Counter connectionsRefused;
    final Counter readTimeouts;
    final Counter invalid;
    final Counter takenOver;

    GatewayMeters(ServiceMetrics metrics, int batchRecordsMax) {
        this.metrics = metrics;
        this.registry = metrics.registry();
        accepted = Counter.builder("gateway.payments.accepted")
                .description("Payments accepted for the first time (202 after their batch committed)")
                .register(registry);
        replayed = Counter.builder("gateway.payments.replayed")
                .description("Requests answered from an earlier acceptance of their Idempotency-Key")
                .register(registry);
        commitRetries = Counter.builder("gateway.commit.retries")
                .description("Kafka commits tried again after a timeout (the same commit)")
                .register(registry);
        batchSize = DistributionSummary.builder("gateway.batch.size")
                .description("Requests per batch drained for group commit")
                .baseUnit("records")
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue((double) Math.max(2, batchRecordsMax))
                .register(registry);
        linger = Timer.builder("gateway.batch.linger")
                .description("How long a batch's oldest request waited in the lane before the batch drained")
                .publishPercentileHistogram()
                .register(registry);
        commit = Timer.builder("gateway.transaction.commit")
                .description("Kafka transactions committed: from the first send to the commit's answer")
                .publishPercentileHistogram()
                .register(registry);
        connectionsRefused = Counter.builder("gateway.connections.refused")
                .description("Connections closed at once: http.connectionsMax open")
                .register(registry);
        readTimeouts = Counter.builder("gateway.request.read.timeouts")
                .description("Connections closed: a request not read in time")
                .register(registry);
        invalid = Counter.builder("gateway.requests.invalid")
                .description("Requests refused as invalid (4xx)")
                .register(registry);
        takenOver = Counter.builder("gateway.reservations.taken.over")
                .description("Abandoned reservations re-published")
                .register(registry);
        for (Shed s : Shed.values()) {
            shedCounter(s); // every reason present from the start, so that rate() sees the first one
        }
    }

    ServiceMetrics service() {
        return metrics;
    }

    void shed(Shed why) {
        shedCounter(why).increment();
    }

    private Counter shedCounter(Shed why) {
        return Counter.builder("gateway.requests.shed")
                .description("Requests refused at once for overload, with Retry-After (503 or 429)")
                .tag("reason", why.reason)
                .tag("status", String.valueOf(why.status))
                .register(registry);
    }

    /** A request refused 409 (same key in flight) or 422 (same key, different request). */
    void conflict(String kind) {
        Counter.builder("gateway.payments.conflicts")
                .description("Idempotency conflicts: the key in flight (409) or reused for another request (422)")
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    /** A transaction that did not commit: {@code cause} and {@code outcome} are closed sets. */
    void aborted(String cause, String outcome) {
        Counter.builder("gateway.transactions.aborted")
                .description("Kafka transactions aborted or failed, by cause and by what is known of them")
                .tag("cause", cause)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    void authRefused(String reason) {
        Counter.builder("gateway.auth.refused")
                .description("Requests refused for a missing, unknown or revoked API key (401)")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** Time a batch spent in one stage besides the Kafka transaction: reserve, mark_accepted. */
    void stage(String stage, long nanos) {
        Timer.builder("gateway.batch.stage")
                .description("Time batches spent per stage in PostgreSQL")
                .tag("stage", stage)
                .register(registry)
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A counter of the settlements of reservations whose outcome was unknown (at start or after a commit). */
    public Counter settlement(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    void gauge(String name, String description, String laneTag, Supplier<Number> value) {
        Gauge.Builder<Supplier<Number>> b = Gauge.builder(name, value).description(description);
        if (laneTag != null) {
            b.tag("lane", laneTag);
        }
        b.strongReference(true).register(registry);
    }
}
