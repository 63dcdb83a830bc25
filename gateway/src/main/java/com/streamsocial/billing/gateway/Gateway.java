package com.streamsocial.billing.gateway;

import com.streamsocial.billing.contract.Metrics;
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
 * A running gateway: the schema migrated, readiness probed, and one {@link GatewayVerticle} per
 * producer lane. Used by {@link GatewayMain}, the local stack and the tests alike.
 */
public final class Gateway {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    private static final long PROBE_INTERVAL_MS = 2_000;

    private final Vertx vertx;
    private final Pool adminPool;
    private final Health health;
    private final Metrics metrics;
    private final List<String> deployments;

    private Gateway(Vertx vertx, Pool adminPool, Health health, Metrics metrics, List<String> deployments) {
        this.vertx = vertx;
        this.adminPool = adminPool;
        this.health = health;
        this.metrics = metrics;
        this.deployments = deployments;
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
        Future<Void> chain = Migrations.apply(adminPool).mapEmpty();
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
                    return new Gateway(vertx, adminPool, health, metrics, deployments);
                })
                .onFailure(e -> {
                    health.close();
                    adminPool.close();
                });
    }

    public Metrics metrics() {
        return metrics;
    }

    public Future<Void> close() {
        Future<Void> chain = Future.succeededFuture();
        for (String id : deployments) {
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        return chain.eventually(() -> {
            health.close();
            return adminPool.close();
        });
    }
}
