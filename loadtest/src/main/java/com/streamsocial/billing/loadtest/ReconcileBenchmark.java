package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.processor.reconcile.Reconciler;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Measures reconciliation at scale: seeds N consistent payments into all four sources (the billing
 * and results topics, the ledger, the sandbox's settlement records) of a fresh embedded stack, then
 * times one dry run and reports the peak heap. Run it with a small heap to show memory stays bounded:
 * {@code java -Xmx256m -cp loadtest/target/loadtest.jar com.streamsocial.billing.loadtest.ReconcileBenchmark 1000000}.
 */
public final class ReconcileBenchmark {
    private static final String TENANT = "bench";

    private ReconcileBenchmark() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        try (LocalInfra infra = LocalInfra.start(0, 0)) {
            Vertx vertx = Vertx.vertx();
            SandboxProvider sandbox =
                    new SandboxProvider("127.0.0.1", 0, infra.pgUri(), "sk_bench", SandboxFaults.NONE);
            await(vertx.deployVerticle(sandbox));
            Pool pool = PgBuilder.pool()
                    .with(new PoolOptions().setMaxSize(1))
                    .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                    .using(vertx)
                    .build();
            await(Migrations.apply(vertx, infra.pgUri()));
            long now = System.currentTimeMillis();
            long from = now - 3_600_000;
            long t0 = System.nanoTime();
            seedPostgres(pool, n, from);
            long tPg = System.nanoTime();
            seedTopics(infra.kafkaBootstrap(), n, from);
            long tKafka = System.nanoTime();
            System.out.printf(
                    "seeded %d payments: PostgreSQL %d s, Kafka %d s%n",
                    n, (tPg - t0) / 1_000_000_000, (tKafka - tPg) / 1_000_000_000);
            resetPeaks();
            ReconcileOptions o = new ReconcileOptions(
                    from - 60_000,
                    System.currentTimeMillis(),
                    0,
                    300_000,
                    false,
                    Files.createTempFile("reconcile-bench", ".json"),
                    infra.pgUri(),
                    Map.of("bootstrap.servers", infra.kafkaBootstrap()),
                    "billing-processor",
                    "http://127.0.0.1:" + sandbox.port(),
                    "sk_bench",
                    5_000,
                    1_000);
            ReconcileReport r = new Reconciler(vertx, o).run();
            System.out.print(r.table());
            System.out.printf(
                    "reconciled %d payments in %.1f s; peak heap %d MiB of max %d MiB%n",
                    n,
                    r.elapsedMs() / 1000.0,
                    peakHeapMiB(),
                    Runtime.getRuntime().maxMemory() >> 20);
            await(pool.close());
            await(vertx.close());
        }
        System.exit(0);
    }

    /** Ledger rows, charge entries and the sandbox's charges, generated inside PostgreSQL. */
    private static void seedPostgres(Pool pool, int n, long fromMs) throws Exception {
        // payment_id = pay_ + 32 hex of SHA-256(tenant NUL key), as PaymentIds derives it.
        String id = "'pay_' || left(encode(sha256(convert_to('" + TENANT + "', 'UTF8') || '\\x00'::bytea"
                + " || convert_to('k' || i, 'UTF8')), 'hex'), 32)";
        await(pool.query("SET synchronous_commit = off").execute());
        await(pool.preparedQuery("""
                INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency, customer_id,
                                      payment_method, status, provider_ref, attempts, source_partition, source_offset,
                                      accepted_at, decided_at)
                SELECT '%s', 'k' || i, %s, 'h', 100 + i %% 1000, 'USD', 'cus', 'pm_card_visa', 'succeeded', 'ch_' || i, 1,
                       i %% 3, i, to_timestamp(($1::bigint + i %% 3000000) / 1000.0), to_timestamp(($1::bigint + i %% 3000000) / 1000.0)
                FROM generate_series(0, $2 - 1) AS i""".formatted(TENANT, id)).execute(Tuple.of(fromMs, n)));
        await(pool.query("""
                INSERT INTO ledger_entries (payment_id, kind, amount, currency)
                SELECT payment_id, 'charge', amount, currency FROM payments WHERE tenant = 'bench'""").execute());
        await(pool.preparedQuery("""
                INSERT INTO sandbox.charges (id, payment_intent, idempotency_key, amount, currency, customer, payment_method,
                                             payment_id, created_s)
                SELECT provider_ref, 'pi_' || source_offset, payment_id, amount, 'usd', 'cus', 'pm_card_visa', payment_id,
                       extract(epoch FROM accepted_at)::bigint
                FROM payments WHERE tenant = 'bench' ORDER BY source_offset""").execute());
        await(pool.query("""
                INSERT INTO sandbox.balance_transactions (id, type, source, charge, amount, currency, payment_id, created_s)
                SELECT 'txn_' || id, 'charge', id, id, amount, currency, payment_id, created_s FROM sandbox.charges
                ORDER BY created_s""").execute());
        await(pool.query("ANALYZE").execute());
    }

    /** One billing event and one outcome per payment, as the gateway and processor write them. */
    private static void seedTopics(String bootstrap, int n, long fromMs) throws Exception {
        Map<String, Object> cfg = new HashMap<>(KafkaSafety.idempotentProducer(Map.of("bootstrap.servers", bootstrap)));
        cfg.put("linger.ms", 20);
        cfg.put("batch.size", 262_144);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(cfg)) {
            for (int i = 0; i < n; i++) {
                String key = "k" + i;
                String id = PaymentIds.paymentId(TENANT, key);
                long at = fromMs + i % 3_000_000;
                long amount = 100 + i % 1000;
                p.send(new ProducerRecord<>(
                        Topics.BILLING,
                        null,
                        at,
                        id,
                        new PaymentEvent(id, TENANT, key, "h", amount, "USD", "cus", "pm_card_visa", "", Map.of(), at)
                                .toBytes()));
                p.send(new ProducerRecord<>(
                        Topics.RESULTS,
                        null,
                        at,
                        id,
                        new OutcomeEvent(id, TENANT, key, PaymentStatus.SUCCEEDED, amount, "USD", null, "ch_" + i, at)
                                .toBytes()));
            }
            p.flush();
        }
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean b : ManagementFactory.getMemoryPoolMXBeans()) {
            b.resetPeakUsage();
        }
    }

    private static long peakHeapMiB() {
        long sum = 0;
        for (MemoryPoolMXBean b : ManagementFactory.getMemoryPoolMXBeans()) {
            if (b.getType() == MemoryType.HEAP) {
                sum += b.getPeakUsage().getUsed();
            }
        }
        return sum >> 20;
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
    }
}
