package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TopicScan;
import com.streamsocial.billing.processor.psp.ProviderAddress;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Every resource a reconciliation run uses, created here and nowhere else, and closed together: the
 * PostgreSQL session (a pool of one), the provider's web client and report, and the Kafka clients.
 */
final class ReconcileResources implements AutoCloseable {
    private final ReconcileOptions o;
    private final Pool pool;
    private final WebClient web;
    private final SettlementReport settlements;
    private final ReconcileSession session;

    private ReconcileResources(
            ReconcileOptions o, Pool pool, WebClient web, SettlementReport settlements, ReconcileSession session) {
        this.o = o;
        this.pool = pool;
        this.web = web;
        this.settlements = settlements;
        this.session = session;
    }

    /** Opens the pool, the web client and the session; on a failure, closes what it opened. */
    static ReconcileResources open(Vertx vertx, ReconcileOptions o) throws Exception {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(o.pgConnect())
                .using(vertx)
                .build();
        // Redirects never followed: one would carry the Bearer header along (ProviderAddress.options).
        WebClient web = WebClient.create(vertx, ProviderAddress.options(false, 30_000));
        SettlementReport settlements = SettlementReport.of(o.provider(), web, o.pageRecordsMax());
        try {
            ReconcileSession session = new ReconcileSession(ReconcileSession.await(pool.getConnection()));
            return new ReconcileResources(o, pool, web, settlements, session);
        } catch (Exception | Error e) {
            web.close();
            pool.close();
            throw e;
        }
    }

    ReconcileSession session() {
        return session;
    }

    SettlementReport settlements() {
        return settlements;
    }

    /**
     * Streams {@code topic} (read_committed) from just before the window's start to its current end into
     * {@code each}; {@code paged} polls at most a page of records at a time.
     */
    void scan(String topic, boolean paged, TopicScan.Handler each) throws Exception {
        Map<String, Object> config = new HashMap<>(o.kafka());
        if (paged) {
            config.put("max.poll.records", o.pageRecordsMax());
        }
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(config, null))) {
            // Records are stamped when the gateway sends them, just after acceptance: start a minute early.
            TopicScan.readToEnd(
                    c,
                    topic,
                    TopicScan.StartAt.timestamp(o.fromMs() - 60_000),
                    Duration.ofSeconds(ReconcileSession.AWAIT_S),
                    each);
        }
    }

    /** An admin client, with the local stack's address and generous timeouts unless configured. */
    Admin admin() {
        Map<String, Object> config = new HashMap<>(o.kafka());
        config.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
        config.putIfAbsent("request.timeout.ms", 30_000);
        config.putIfAbsent("default.api.timeout.ms", 60_000);
        return Admin.create(config);
    }

    /** An idempotent producer, for the re-drive. */
    KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(KafkaSafety.idempotentProducer(o.kafka()));
    }

    @Override
    public void close() {
        session.close();
        web.close();
        pool.close();
    }
}
