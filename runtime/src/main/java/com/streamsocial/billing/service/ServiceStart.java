package com.streamsocial.billing.service;

import com.streamsocial.billing.kafka.TopicSafetyCheck;
import com.streamsocial.billing.lease.InstanceLease;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The start both services make, in this order: the topics' replication checked, the instance lease
 * taken, the schema migrated, and only then the service itself deployed. Nothing before the deploy
 * creates a producer or a consumer, so a start refused at any of those steps has fenced nothing of a
 * live instance; a failed start closes what it built and lets the lease go.
 */
public final class ServiceStart {
    /**
     * One service's start: its {@code role} (the lease's, with the configuration's instance id), the
     * topics it writes or reads and the internal ones it relies on, and its migration.
     */
    public record Steps(
            String role,
            ServiceConfig config,
            List<String> topics,
            List<String> internalTopics,
            Supplier<Future<?>> migrate) {}

    /** What a service deploys once its lease is taken and its schema migrated. */
    public interface Deployment<S extends RunningService> {
        /** The lease, as soon as it is taken (before the migration): to watch it, for readiness. */
        default void leased(InstanceLease lease) {}

        /** The service itself, deployed under {@code lease}. */
        Future<S> deploy(InstanceLease lease);

        /** A failed start: closes what was built; the lease, if it was taken, is let go after. */
        void abandon();
    }

    private ServiceStart() {}

    /**
     * The whole start: {@link #safeLeasedAndMigrated}, then {@code deployment}; the deployed service
     * closes when its lease is lost. On failure the deployment is abandoned and the lease let go.
     */
    public static <S extends RunningService> Future<S> deploy(
            Vertx vertx, Steps steps, Deployment<S> deployment, Logger log) {
        InstanceLease[] taken = new InstanceLease[1];
        return safeLeasedAndMigrated(
                        vertx,
                        steps,
                        lease -> {
                            taken[0] = lease;
                            deployment.leased(lease);
                        },
                        log)
                .compose(deployment::deploy)
                .map(service -> {
                    // A service without its lease may be a zombie: it stops serving.
                    taken[0].onLost(e -> service.close());
                    return service;
                })
                .onFailure(e -> {
                    deployment.abandon();
                    if (taken[0] != null) {
                        taken[0].release();
                    }
                });
    }

    /**
     * Runs the steps; {@code onLease} gets the lease as soon as it is taken, so that the caller can
     * release it if a later step fails. Completes with the lease once the schema is migrated.
     */
    static Future<InstanceLease> safeLeasedAndMigrated(
            Vertx vertx, Steps steps, Consumer<InstanceLease> onLease, Logger log) {
        ServiceConfig config = steps.config();
        // Before the lease and any producer: on under-replicated topics acks=all promises little, so
        // the service refuses to start (unless topics.allowUnderReplicated, for a single broker).
        return vertx.<Void>executeBlocking(() -> {
                    TopicSafetyCheck.requireSafe(
                            config.kafka(),
                            steps.topics(),
                            steps.internalTopics(),
                            config.common().allowUnderReplicated(),
                            steps.role() + " " + config.instanceId(),
                            log);
                    return null;
                })
                // The lease comes before any producer exists, and before a consumer joins with its
                // group.instance.id: a refused start must not fence a live instance.
                .compose(safe -> InstanceLease.acquire(vertx, config.pgConnect(), steps.role(), config.instanceId()))
                .compose(lease -> {
                    onLease.accept(lease);
                    return steps.migrate().get().map(lease);
                });
    }
}
