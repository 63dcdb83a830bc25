package com.streamsocial.billing.processor;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.TopicSafetyCheck;
import com.streamsocial.billing.lease.InstanceLease;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.psp.ApproveAllProvider;
import com.streamsocial.billing.processor.psp.PayPalProvider;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.StripeProvider;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.service.RunningService;
import com.streamsocial.billing.service.ServiceStart;
import com.streamsocial.billing.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running processor: its instance id leased, schema migrated, pool open, one {@link
 * ProcessorVerticle}. It reports not ready while its lease is SUSPECT, and stops consuming when it loses
 * its lease.
 */
public final class Processor implements RunningService {
    /** Prepared statements kept per PostgreSQL connection, at most (the hot path uses a handful). */
    static final int PG_STATEMENT_CACHE_MAX = 64;

    private static final Logger log = LoggerFactory.getLogger(Processor.class);

    private final Vertx vertx;
    private final Pool pool;
    private final String deployment;
    private final ProcessorMeters metrics;
    private final InstanceLease lease;
    private Future<Void> closed;
    private final ProcessorVerticle verticle;
    /** Closed last: exports the spans still queued (bounded), off the event loop. */
    private final Tracing tracing;
    /** Completes once closed, whoever closed it (a lost lease, a drain, the owner). */
    private final io.vertx.core.Promise<Void> whenClosed = io.vertx.core.Promise.promise();

    private Processor(
            Vertx vertx,
            Pool pool,
            String deployment,
            ProcessorMeters metrics,
            InstanceLease lease,
            ProcessorVerticle verticle,
            Tracing tracing) {
        this.verticle = verticle;
        this.tracing = tracing;
        this.vertx = vertx;
        this.pool = pool;
        this.deployment = deployment;
        this.metrics = metrics;
        this.lease = lease;
    }

    /** With the provider the configuration names: Stripe's API (or the sandbox), or approve-all. */
    public static Future<Processor> deploy(Vertx vertx, ProcessorConfig config) {
        return deploy(vertx, config, null);
    }

    /** With {@code provider}, or the configured one when it is null. */
    public static Future<Processor> deploy(Vertx vertx, ProcessorConfig config, PaymentProvider provider) {
        return deploy(vertx, config, provider, new ServiceMetrics());
    }

    /**
     * Registers its meters in {@code service}, which {@code /metrics} serves; Vert.x's own meters are
     * there too when {@code vertx} was built by {@link ServiceMetrics#vertx} with it.
     */
    public static Future<Processor> deploy(
            Vertx vertx, ProcessorConfig config, PaymentProvider provider, ServiceMetrics service) {
        return deploy(vertx, config, provider, service, Tracing.start(config.tracing()));
    }

    /** With {@code tracing}'s spans (tests give one with an in-memory exporter); closed with the processor. */
    public static Future<Processor> deploy(
            Vertx vertx, ProcessorConfig config, PaymentProvider provider, ServiceMetrics service, Tracing tracing) {
        // Before anything connects: a mode that moves no money or spends it unsafely needs dev.mode.
        try {
            DevModes.require(config);
        } catch (IllegalArgumentException e) {
            tracing.close(vertx);
            return Future.failedFuture(e);
        }
        DevModes.warn(config, log);
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(config.pgPoolSizeMax()).setMaxWaitQueueSize(100))
                // The batch statements are fixed texts: parsed and planned once per connection.
                .connectingTo(config.pgConnect()
                        .setCachePreparedStatements(true)
                        .setPreparedStatementCacheMaxSize(PG_STATEMENT_CACHE_MAX))
                .using(vertx)
                .build();
        ProcessorMeters metrics = new ProcessorMeters(service);
        PaymentProvider chosen = provider != null ? provider : configured(vertx, config, metrics, tracing);
        ServiceStart.Steps steps = new ServiceStart.Steps(
                "processor",
                config,
                Topics.ALL,
                List.of(TopicSafetyCheck.TRANSACTION_STATE, TopicSafetyCheck.CONSUMER_OFFSETS),
                () -> Migrations.apply(vertx, config.pgUri(), config.pgPassword()));
        return ServiceStart.deploy(
                vertx,
                steps,
                new ServiceStart.Deployment<>() {
                    @Override
                    public Future<Processor> deploy(InstanceLease lease) {
                        ProcessorVerticle verticle = new ProcessorVerticle(config, pool, chosen, metrics, tracing);
                        verticle.watchLease(lease::state, lease::reason);
                        return vertx.deployVerticle(verticle).map(id -> {
                            log.info("processor {} consuming as group {}", config.instanceId(), config.groupId());
                            return new Processor(vertx, pool, id, metrics, lease, verticle, tracing);
                        });
                    }

                    @Override
                    public void abandon() {
                        pool.close();
                        tracing.close(vertx);
                    }
                },
                log);
    }

    private static PaymentProvider configured(
            Vertx vertx, ProcessorConfig c, ProcessorMeters metrics, Tracing tracing) {
        if (c.providerKind().equals("approve-all")) {
            return new ApproveAllProvider();
        }
        if (c.providerKind().equals("paypal")) {
            return new PayPalProvider(
                    vertx,
                    new PayPalProvider.Options(
                            c.providerBaseUrl(),
                            c.providerClientId(),
                            c.providerClientSecret(),
                            c.providerLimits(),
                            c.providerCallTimeoutMs(),
                            c.providerRetryInitialMs(),
                            c.providerRetryMaxMs(),
                            c.providerDeadlineMs()),
                    metrics,
                    tracing);
        }
        return new StripeProvider(
                vertx,
                new StripeProvider.Options(
                        c.providerBaseUrl(),
                        c.providerSecretKey(),
                        c.providerLimits(),
                        c.providerCallTimeoutMs(),
                        c.providerRetryInitialMs(),
                        c.providerRetryMaxMs(),
                        c.providerDeadlineMs()),
                metrics,
                c.guarantee().providerIdempotencyKeys(),
                tracing);
    }

    /** Its meters, as {@code /metrics} serves them. */
    public ServiceMetrics metrics() {
        return metrics.service();
    }

    /** After {@link #close()}: true when every loop finished its batch within the drain bound. */
    public boolean drained() {
        return verticle.undrainedLoops() == 0;
    }

    /** Completes once this processor has closed, for whatever reason: what a supervisor watches. */
    public Future<Void> whenClosed() {
        return whenClosed.future();
    }

    /** The instance lease: {@link ProcessorMain} exits when it is lost. */
    @Override
    public InstanceLease lease() {
        return lease;
    }

    /** Stops consuming, then lets the lease go, so that a successor never overlaps with this one. */
    @Override
    public synchronized Future<Void> close() {
        if (closed == null) {
            closed = vertx.undeploy(deployment)
                    .eventually(pool::close)
                    .eventually(lease::release)
                    .eventually(() -> tracing.close(vertx))
                    .andThen(ignored -> metrics.service().close())
                    .andThen(ignored -> whenClosed.tryComplete());
        }
        return closed;
    }
}
