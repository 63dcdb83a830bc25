package com.streamsocial.billing.gateway;

import com.streamsocial.billing.contract.Metrics;
import com.streamsocial.billing.lease.InstanceLease;
import com.streamsocial.billing.schema.Migrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its instance id leased, the schema migrated, readiness probed, and one
 * {@link GatewayVerticle} per producer lane. Used by {@link GatewayMain}, the local stack and the tests
 * alike. It stops serving when it loses its lease.
 */
public final class Gateway {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    private static final long PROBE_INTERVAL_MS = 2_000;

    private final Vertx vertx;
    private final Pool adminPool;
    private final Health health;
    private final Metrics metrics;
    private final List<String> deployments;
    private final InstanceLease lease;
    private Future<Void> closed;

    private Gateway(
            Vertx vertx,
            Pool adminPool,
            Health health,
            Metrics metrics,
            List<String> deployments,
            InstanceLease lease) {
        this.vertx = vertx;
        this.adminPool = adminPool;
        this.health = health;
        this.metrics = metrics;
        this.deployments = deployments;
        this.lease = lease;
    }

    public static Future<Gateway> deploy(Vertx vertx, GatewayConfig config, BatchFaults faults) {
        Pool adminPool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(config.pgUri()))
                .using(vertx)
                .build();
        Metrics metrics = new Metrics();
        Health health = new Health(config.kafka());
        List<String> deployments = new ArrayList<>();
        InstanceLease[] lease = new InstanceLease[1];
        // The lease comes before any producer exists: a refused start must not fence a live instance.
        Future<Void> chain = InstanceLease.acquire(vertx, config.pgUri(), "gateway", config.instanceId())
                .compose(l -> {
                    lease[0] = l;
                    return Migrations.apply(adminPool);
                })
                .mapEmpty();
        for (int i = 0; i < config.producers(); i++) {
            int lane = i;
            chain = chain.compose(v -> vertx.deployVerticle(new GatewayVerticle(config, lane, faults, metrics, health)))
                    .map(id -> {
                        deployments.add(id);
                        return null;
                    });
        }
        return chain.compose(v -> health.start(vertx, adminPool, PROBE_INTERVAL_MS))
                .map(v -> {
                    log.info(
                            "gateway {} listening on {}:{} with {} producer lanes",
                            config.instanceId(),
                            config.httpHost(),
                            config.httpPort(),
                            config.producers());
                    Gateway gateway = new Gateway(vertx, adminPool, health, metrics, deployments, lease[0]);
                    // A gateway without its lease may be a zombie: it stops taking requests.
                    lease[0].onLost(e -> gateway.close());
                    return gateway;
                })
                .onFailure(e -> {
                    health.close();
                    adminPool.close();
                    if (lease[0] != null) {
                        lease[0].release();
                    }
                });
    }

    public Metrics metrics() {
        return metrics;
    }

    /** The instance lease: {@link GatewayMain} exits when it is lost. */
    public InstanceLease lease() {
        return lease;
    }

    /** Stops serving, then lets the lease go, so that a successor never overlaps with this one. */
    public synchronized Future<Void> close() {
        if (closed != null) {
            return closed;
        }
        Future<Void> chain = Future.succeededFuture();
        for (String id : deployments) {
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        closed = chain.eventually(() -> {
                    health.close();
                    return adminPool.close();
                })
                .eventually(lease::release);
        return closed;
    }
}
