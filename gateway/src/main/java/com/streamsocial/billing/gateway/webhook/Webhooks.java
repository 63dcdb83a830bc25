package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.kafka.KafkaSafety;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.Map;

/**
 * One gateway lane's webhook endpoints with what they own: a small PostgreSQL pool and a
 * transactional producer of their own, apart from the lane's payment batches, so that a webhook
 * never waits behind a batch nor a batch behind a webhook. Built only for a provider that has a
 * secret (Stripe) or a webhook id (PayPal); without either, the endpoints answer 404 and nothing
 * connects.
 */
public final class Webhooks {
    /**
     * Connections of one lane's webhook pool: each holds its transaction while the event's Kafka
     * transaction commits, so this is also how many events one lane publishes at once.
     */
    public static final int PG_CONNECTIONS_MAX = 2;

    /** Deliveries waiting for a connection, at most; beyond, {@code 503} and the provider retries. */
    public static final int PG_WAIT_QUEUE_MAX = 32;

    private final Pool pool;
    private final TransactionalPublisher publisher;
    private final PayPalVerifier paypal;
    private final WebhookRoutes routes;

    private Webhooks(Pool pool, TransactionalPublisher publisher, PayPalVerifier paypal, WebhookRoutes routes) {
        this.pool = pool;
        this.publisher = publisher;
        this.paypal = paypal;
        this.routes = routes;
    }

    /**
     * Starts the lane's webhooks: with a Stripe secret or a PayPal webhook id, the pool and the producer
     * (its {@code initTransactions} fences an earlier run's producer of the same {@code
     * transactionalId}); with a PayPal webhook id, also the client of PayPal's verification API.
     */
    public static Future<Webhooks> start(
            Vertx vertx,
            Context context,
            WebhookConfig config,
            PgConnectOptions pg,
            Map<String, Object> kafka,
            String transactionalId,
            int transactionTimeoutMs,
            MeterRegistry registry,
            int retryAfterS,
            VerifiedTransmissions paypalVerified) {
        WebhookMeters meters = new WebhookMeters(registry);
        if (!config.stripeOn() && !config.paypalOn()) {
            return Future.succeededFuture(new Webhooks(
                    null,
                    null,
                    null,
                    new WebhookRoutes(config, null, null, meters, System::currentTimeMillis, retryAfterS)));
        }
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(PG_CONNECTIONS_MAX).setMaxWaitQueueSize(PG_WAIT_QUEUE_MAX))
                .connectingTo(pg)
                .using(vertx)
                .build();
        Counter commitRetries = Counter.builder("gateway.webhooks.commit.retries")
                .description("Webhook Kafka commits tried again after a timeout")
                .register(registry);
        TransactionalPublisher publisher = new TransactionalPublisher(
                KafkaSafety.transactionalProducer(kafka, transactionalId, transactionTimeoutMs), commitRetries);
        PayPalVerifier paypal = config.paypalOn()
                ? new PayPalVerifier(vertx, config, paypalVerified, meters, System::currentTimeMillis)
                : null;
        WebhookRoutes routes = new WebhookRoutes(
                config, new WebhookIntake(pool, publisher), paypal, meters, System::currentTimeMillis, retryAfterS);
        return Future.fromCompletionStage(publisher.start(), context)
                .map(v -> new Webhooks(pool, publisher, paypal, routes))
                .onFailure(e -> vertx.executeBlocking(() -> {
                            publisher.close();
                            return null;
                        })
                        .eventually(() -> paypal == null ? Future.succeededFuture() : paypal.close())
                        .eventually(pool::close));
    }

    public void mount(Router router) {
        routes.mount(router);
    }

    /** Closes the producer (blocking: call it off the event loop) and the pool. */
    public Future<Void> close(Vertx vertx) {
        if (publisher == null) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
                    publisher.close();
                    return null;
                })
                .compose(v -> paypal == null ? Future.succeededFuture() : paypal.close())
                .compose(v -> pool.close());
    }
}
