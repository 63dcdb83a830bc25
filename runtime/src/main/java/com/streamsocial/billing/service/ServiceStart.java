package com.streamsocial.billing.service;

import com.streamsocial.billing.kafka.TopicSafetyCheck;
import com.streamsocial.billing.lease.InstanceLease;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The start both services make before deploying anything of their own, in this order: the topics'
 * replication checked, the instance lease taken, the schema migrated. Nothing here creates a producer
 * or a consumer, so a start refused at any step has fenced nothing of a live instance.
 */
public final class ServiceStart {
    /**
     * One service's start: its {@code role} and {@code instanceId} (the lease's key), the Kafka
     * settings, the topics it writes or reads and the internal ones it relies on, whether a single
     * broker's under-replicated topics are allowed, PostgreSQL, and its migration.
     */
    public record Steps(
            String role,
            String instanceId,
            Map<String, Object> kafka,
            List<String> topics,
            List<String> internalTopics,
            boolean allowUnderReplicated,
            PgConnectOptions pg,
            Supplier<Future<?>> migrate) {}

    private ServiceStart() {}

    /**
     * Runs the steps; {@code onLease} gets the lease as soon as it is taken, so that the caller can
     * release it if a later step fails. Completes with the lease once the schema is migrated.
     */
    public static Future<InstanceLease> safeLeasedAndMigrated(
            Vertx vertx, Steps steps, Consumer<InstanceLease> onLease, Logger log) {
        // Before the lease and any producer: on under-replicated topics acks=all promises little, so
        // the service refuses to start (unless topics.allowUnderReplicated, for a single broker).
        return vertx.<Void>executeBlocking(() -> {
                    TopicSafetyCheck.requireSafe(
                            steps.kafka(),
                            steps.topics(),
                            steps.internalTopics(),
                            steps.allowUnderReplicated(),
                            steps.role() + " " + steps.instanceId(),
                            log);
                    return null;
                })
                // The lease comes before any producer exists, and before a consumer joins with its
                // group.instance.id: a refused start must not fence a live instance.
                .compose(safe -> InstanceLease.acquire(vertx, steps.pg(), steps.role(), steps.instanceId()))
                .compose(lease -> {
                    onLease.accept(lease);
                    return steps.migrate().get().map(lease);
                });
    }
}
