package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Every meter the gateway defines, named once (Micrometer names; Prometheus adds {@code _total} to
 * counters and {@code _seconds} to timers), and registered when this is built with every value of its
 * tags, so that a fresh gateway exports 0 for each series and {@code rate()} sees the first event
 * (lanes register their own gauges as they start). Tags are closed sets: a reason, a cause, a stage, a
 * lane number, never an id, key or tenant. Requests by route and status, with their latency, are Vert.x's
 * own ({@code vertx_http_server_*}) when the gateway runs on {@link ServiceMetrics#vertx}.
 */
public final class GatewayMeters {
    /** Why a request was shed with 503 or 429 (Retry-After): a closed set. */
    public enum Shed {
        QUEUE_FULL("queue_full", 503),
        RATE_LIMITED("rate_limited", 429),
        /** A tenant holding its fair share of a lane's queue ({@code limit.QueueShares}). */
        QUEUE_SHARE("queue_share", 429),
        /** A client address over its budget of 401s ({@code auth.failuresPerS}): no hash, no lookup. */
        AUTH_THROTTLED("auth_throttled", 429),
        AUTH_UNAVAILABLE("auth_unavailable", 503),
        READS_UNAVAILABLE("reads_unavailable", 503),
        /** SIGTERM: the instance drains, the client retries on another. */
        DRAINING("draining", 503),
        /** The instance lease is SUSPECT (PostgreSQL does not answer its check): no new work until HELD. */
        LEASE_SUSPECT("lease_suspect", 503),
        /** PostgreSQL has not taken the accepted marks of CommitLane.UNMARKED_IDS_MAX committed payments. */
        STORE_BEHIND("store_behind", 503);

        final String reason;
        final int status;

        Shed(String reason, int status) {
            this.reason = reason;
            this.status = status;
        }
    }

    /**
     * The {@code kind} of a conflict: the key in flight (409), reused for another request (422), a
     * registration of a customer or payment method another tenant owns (409).
     */
    static final List<String> CONFLICT_KINDS = List.of("in_flight", "key_reused", "owned_elsewhere");

    /** The {@code cause} of a transaction that did not commit, as {@link CommitLane#abortCause} names it. */
    static final List<String> ABORT_CAUSES = List.of("timeout", "fenced", "fatal", "error");

    /** Why a request was refused 401. */
    static final List<String> AUTH_REFUSALS = List.of("missing", "invalid");

    /** The PostgreSQL stages of a batch, besides its Kafka transaction. */
    static final List<String> STAGES = List.of("reserve", "mark_accepted");

    private final ServiceMetrics metrics;
    private final MeterRegistry registry;
    final Counter accepted;
    final Counter replayed;
    final Counter commitRetries;
    final DistributionSummary batchSize;
    final Timer linger;
    final Timer commit;
    final Counter connectionsRefused;
    final Counter connectionsAddressRefused;
    final Counter readTimeouts;
    final Counter invalid;
    final Counter takenOver;
    final Counter notOwned;
    final Counter unknownCommitAccepted;
    final Counter unknownCommitReleased;
    final Counter unknownCommitSettlementsSkipped;
    final Counter unknownCommitSettlementsFailed;
    private final Counter restartAccepted;
    private final Counter restartReleased;

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
        connectionsAddressRefused = Counter.builder("gateway.connections.address.refused")
                .description("Connections closed at once: http.connectionsPerAddressMax open from their address")
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
        notOwned = counter(
                "gateway.payments.not.owned",
                "Payments refused 422: their customer or payment method is not owned by their tenant");
        unknownCommitAccepted = counter(
                "gateway.unknown.commit.reservations.accepted",
                "Reservations of a batch whose commit outcome was unknown, found published");
        unknownCommitReleased = counter(
                "gateway.unknown.commit.reservations.released",
                "Reservations of a batch whose commit outcome was unknown, released");
        unknownCommitSettlementsSkipped = counter(
                "gateway.unknown.commit.settlements.skipped",
                "Decided batches left to the restart settlement: too many settlements in flight");
        unknownCommitSettlementsFailed = counter(
                "gateway.unknown.commit.settlements.failed",
                "Settlements of a decided batch that failed (keys left reserved)");
        restartAccepted = counter(
                "gateway.restart.reservations.accepted", "Open reservations of earlier runs found published at start");
        restartReleased =
                counter("gateway.restart.reservations.released", "Open reservations of earlier runs released at start");
        registerTaggedAtStart();
    }

    /** Every tagged series with each of its values: present from the start, so that rate() sees the first one. */
    private void registerTaggedAtStart() {
        for (Shed s : Shed.values()) {
            shedCounter(s);
        }
        CONFLICT_KINDS.forEach(this::conflictCounter);
        for (String cause : ABORT_CAUSES) {
            for (TransactionalPublisher.Outcome outcome : TransactionalPublisher.Outcome.values()) {
                abortedCounter(cause, outcome.name().toLowerCase(Locale.ROOT));
            }
        }
        AUTH_REFUSALS.forEach(this::authRefusedCounter);
        STAGES.forEach(this::stageTimer);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
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

    /** One {@code POST /v1/customers} verification with the provider, by outcome (a closed set). */
    void customerVerification(String outcome) {
        Counter.builder("gateway.ownership.verifications")
                .description("POST /v1/customers verifications with the provider: verified, refused (not_found,"
                        + " tenant_mismatch, payment_method_not_attached) or unavailable (timeout, in_flight_max,"
                        + " error)")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    /** A request refused 409 (same key in flight) or 422 (same key, different request). */
    void conflict(String kind) {
        conflictCounter(kind).increment();
    }

    private Counter conflictCounter(String kind) {
        return Counter.builder("gateway.payments.conflicts")
                .description("Idempotency conflicts: the key in flight (409) or reused for another request (422)")
                .tag("kind", kind)
                .register(registry);
    }

    /** A transaction that did not commit: {@code cause} and {@code outcome} are closed sets. */
    void aborted(String cause, String outcome) {
        abortedCounter(cause, outcome).increment();
    }

    private Counter abortedCounter(String cause, String outcome) {
        return Counter.builder("gateway.transactions.aborted")
                .description("Kafka transactions aborted or failed, by cause and by what is known of them")
                .tag("cause", cause)
                .tag("outcome", outcome)
                .register(registry);
    }

    void authRefused(String reason) {
        authRefusedCounter(reason).increment();
    }

    private Counter authRefusedCounter(String reason) {
        return Counter.builder("gateway.auth.refused")
                .description("Requests refused for a missing, unknown or revoked API key (401)")
                .tag("reason", reason)
                .register(registry);
    }

    /** Time a batch spent in one stage besides the Kafka transaction: reserve, mark_accepted. */
    void stage(String stage, long nanos) {
        stageTimer(stage).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Timer stageTimer(String stage) {
        return Timer.builder("gateway.batch.stage")
                .description("Time batches spent per stage in PostgreSQL")
                .tag("stage", stage)
                .register(registry);
    }

    /** Open reservations of earlier runs that the restart settlement found published. */
    public Counter restartReservationsAccepted() {
        return restartAccepted;
    }

    /** Open reservations of earlier runs that the restart settlement released. */
    public Counter restartReservationsReleased() {
        return restartReleased;
    }

    void gauge(String name, String description, String laneTag, Supplier<Number> value) {
        Gauge.Builder<Supplier<Number>> b = Gauge.builder(name, value).description(description);
        if (laneTag != null) {
            b.tag("lane", laneTag);
        }
        b.strongReference(true).register(registry);
    }
}
