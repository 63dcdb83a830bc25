package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.kafka.TransactionalSession;
import com.streamsocial.billing.lease.LeaseCheck;
import com.streamsocial.billing.management.ServiceHealth;
import com.streamsocial.billing.metrics.HealthText;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Readiness of one gateway process: PostgreSQL answers, the Kafka cluster answers, no producer has
 * failed fatally, the instance lease is confirmed (HELD, not SUSPECT), and the process is not draining. Probes run in the background every {@code
 * probeIntervalMs}; the endpoint only reads their last result, so a scrape never waits on a slow
 * dependency. A probe that has not succeeded for {@link #STALE_PROBES} intervals (it hangs) counts as
 * down.
 */
public final class Health implements ServiceHealth, AutoCloseable {
    private final List<TransactionalPublisher> publishers = new CopyOnWriteArrayList<>();
    private final Admin admin;
    private volatile boolean pgUp;
    private volatile boolean kafkaUp;
    private volatile String pgError = "not probed yet";
    private volatile String kafkaError = "not probed yet";
    /** Set once, by the drain: readiness is false from then on, for good. */
    private volatile boolean draining;

    /** The instance lease, once taken; until then nothing serves, so HELD is as good as any. */
    private volatile Supplier<LeaseCheck.State> leaseState = () -> LeaseCheck.State.HELD;

    private volatile Supplier<String> leaseReason = () -> null;

    private volatile long pgOkAtMs = -1;
    private volatile long kafkaOkAtMs = -1;
    private volatile long probeIntervalMs = Long.MAX_VALUE / 4;

    /** Intervals without a successful probe after which a dependency counts as down (a hung probe). */
    static final int STALE_PROBES = 3;

    /** Development-only modes in effect, shown in readiness ({@code dev_modes}): empty in production. */
    private final List<String> devModes;

    public Health(Map<String, Object> kafka) {
        this(kafka, List.of());
    }

    public Health(Map<String, Object> kafka, List<String> devModes) {
        this.admin = Admin.create(adminConfig(kafka));
        this.devModes = List.copyOf(devModes);
    }

    /**
     * The probe's client settings: short timeouts, then every {@code kafka.*} pass-through setting the
     * producers get (security.protocol, sasl.*, ssl.* and the rest), so the probe reaches a secured
     * cluster the same way the producers do.
     */
    public static Map<String, Object> adminConfig(Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>();
        c.put("request.timeout.ms", 3_000);
        c.put("default.api.timeout.ms", 3_000);
        c.putAll(kafka);
        c.put("bootstrap.servers", kafka.getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
        // The admin client refuses a default.api.timeout.ms below request.timeout.ms: a longer
        // kafka.request.timeout.ms given for the producers raises the probe's default with it.
        if (!kafka.containsKey("default.api.timeout.ms")) {
            try {
                int request = Integer.parseInt(
                        String.valueOf(c.get("request.timeout.ms")).trim());
                c.put("default.api.timeout.ms", Math.max(3_000, request));
            } catch (NumberFormatException e) {
                // Not a number: left as given, for the admin client to refuse with its own message.
            }
        }
        return c;
    }

    /** Readiness and new work follow this lease: not ready, and new payments shed, unless it is HELD. */
    public void watchLease(Supplier<LeaseCheck.State> state, Supplier<String> reason) {
        this.leaseState = state;
        this.leaseReason = reason;
    }

    /**
     * True while the lease check cannot confirm the lock (PostgreSQL stalled): the lock is probably
     * still held, but until it is confirmed this process takes no new work.
     */
    public boolean leaseSuspect() {
        return leaseState.get() == LeaseCheck.State.SUSPECT;
    }

    void register(TransactionalPublisher publisher) {
        publishers.add(publisher);
    }

    /** Probes now and then every {@code probeIntervalMs}; returns the first probe. */
    public Future<Void> start(Vertx vertx, Pool pool, long probeIntervalMs) {
        this.probeIntervalMs = probeIntervalMs;
        vertx.setPeriodic(probeIntervalMs, id -> probe(pool));
        return probe(pool);
    }

    private Future<Void> probe(Pool pool) {
        Future<Void> pg = pool.query("SELECT 1")
                .execute()
                .onComplete(ar -> pgProbed(ar.succeeded(), ar.succeeded() ? null : reason(ar.cause())))
                .mapEmpty();
        Future<Void> kafka = Future.fromCompletionStage(
                        admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000))
                                .nodes()
                                .toCompletionStage())
                .onComplete(ar -> {
                    boolean up = ar.succeeded() && !ar.result().isEmpty();
                    kafkaProbed(up, up ? null : ar.failed() ? reason(ar.cause()) : "no brokers");
                })
                .mapEmpty();
        return Future.join(pg, kafka).mapEmpty();
    }

    /** The result of a PostgreSQL probe that just ended. */
    void pgProbed(boolean up, String error) {
        pgUp = up;
        if (up) {
            pgOkAtMs = System.currentTimeMillis();
        }
        pgError = error;
    }

    /** The result of a Kafka probe that just ended. */
    void kafkaProbed(boolean up, String error) {
        kafkaUp = up;
        if (up) {
            kafkaOkAtMs = System.currentTimeMillis();
        }
        kafkaError = error;
    }

    /**
     * Live unless a producer failed fatally for a reason a restart can fix (its {@code initTransactions}
     * timed out while the broker was away, say): a FATAL producer never comes back in this process, so
     * the gateway would stay up and refuse every payment. A cause a restart cannot fix (authorization,
     * configuration) stays live and is reported by readiness, as the processor does.
     */
    @Override
    public JsonObject liveness() {
        for (TransactionalPublisher p : publishers) {
            Throwable cause = p.fatalCause();
            if (p.state() == TransactionalSession.State.FATAL
                    && (cause == null
                            || com.streamsocial.billing.kafka.ProducerErrors.classify(cause)
                                    != com.streamsocial.billing.kafka.ProducerErrors.Action.FATAL)) {
                return new JsonObject().put("status", "DOWN").put("cause", reason(cause));
            }
        }
        return new JsonObject().put("status", "UP");
    }

    /**
     * {@code ready} is false while a dependency is down, and for good once draining: a load balancer
     * stops sending payments here before the listener closes. {@code draining} says which.
     */
    @Override
    public JsonObject readiness() {
        long now = System.currentTimeMillis();
        boolean pg = pgUp && fresh(pgOkAtMs, now);
        boolean kafka = kafkaUp && fresh(kafkaOkAtMs, now);
        boolean producersOk = publishers.stream().noneMatch(p -> p.state() == TransactionalSession.State.FATAL);
        LeaseCheck.State lease = leaseState.get();
        boolean leaseHeld = lease == LeaseCheck.State.HELD;
        JsonObject checks = new JsonObject()
                .put("postgres", new JsonObject().put("up", pg).put("error", pg ? null : staleOr(pgError)))
                .put("kafka", new JsonObject().put("up", kafka).put("error", kafka ? null : staleOr(kafkaError)))
                .put("producers", new JsonObject().put("up", producersOk).put("count", publishers.size()))
                .put(
                        "lease",
                        new JsonObject()
                                .put("up", leaseHeld)
                                .put("state", lease.name())
                                .put("error", leaseHeld ? null : shortReason(leaseReason.get())));
        return new JsonObject()
                .put("ready", pg && kafka && producersOk && leaseHeld && !draining)
                .put("draining", draining)
                // As the processor's readiness: a production gateway shows [] here.
                .put("dev_modes", new io.vertx.core.json.JsonArray(devModes))
                .put("checks", checks);
    }

    /** What health shows of a failure: its class name only ({@link HealthText}). */
    static String reason(Throwable e) {
        return HealthText.reason(e);
    }

    private static String shortReason(String reason) {
        return HealthText.shortReason(reason);
    }

    private boolean fresh(long okAtMs, long now) {
        return okAtMs >= 0 && now - okAtMs <= STALE_PROBES * probeIntervalMs;
    }

    private static String staleOr(String error) {
        return error != null ? error : "no successful probe for " + STALE_PROBES + " intervals";
    }

    /** Readiness turns false for good: the process is shutting down. */
    public void startDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
