package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TopicScan;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.psp.ProviderAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Compares, for a window of acceptance times, the accepted payments on {@code payments.billing}
 * (read_committed), the ledger, the outcomes on {@code payments.results} and the provider's
 * settlement report (a {@link SettlementReport}: Stripe's or PayPal's), and reports every {@link BreakClass} with the ids involved; with repair, fixes
 * each break with an idempotent action.
 *
 * <p>Memory stays bounded whatever the window: each source is streamed page by page into temporary
 * tables of one PostgreSQL session, and the comparison runs there as SQL. Blocking: run it on a
 * thread of its own (the command's main thread, or the processor's reconciliation thread).
 */
public final class Reconciler {
    private static final long AWAIT_S = 600;
    /** Charges can settle a while after acceptance; read the report from this long before the window. */
    private static final long PROVIDER_SLACK_S = 3_600;

    private final Vertx vertx;
    private final ReconcileOptions o;

    public Reconciler(Vertx vertx, ReconcileOptions options) {
        this.vertx = vertx;
        this.o = options;
    }

    public ReconcileReport run() throws Exception {
        long t0 = System.nanoTime();
        ReconcileReport report = new ReconcileReport();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(o.pgConnect())
                .using(vertx)
                .build();
        // Redirects never followed: one would carry the Bearer header along (ProviderAddress.options).
        WebClient web = WebClient.create(vertx, ProviderAddress.options(false, 30_000));
        SettlementReport settlements = SettlementReport.of(o.provider(), web, o.pageRecordsMax());
        try {
            SqlConnection conn = await(pool.getConnection());
            try {
                stage(conn);
                report.source("billing", loadTopic(conn, Topics.BILLING, this::billingRow, "rec_billing", 7));
                report.source("results", loadTopic(conn, Topics.RESULTS, this::resultRow, "rec_results", 3));
                report.source("provider", loadProvider(conn, settlements));
                // After the billing scan: every record it saw is at or below these offsets' reach.
                report.source("group_offsets", loadCommittedOffsets(conn));
                exec(conn, derivedTables());
                report.source(
                        "ledger",
                        await(conn.query("SELECT count(*) FROM rec_payments").execute())
                                .iterator()
                                .next()
                                .getLong(0));
                Map<BreakClass, List<Row>> found = compare(conn, report);
                if (o.repair()) {
                    repair(conn, settlements, found, report);
                }
            } finally {
                conn.close();
            }
        } finally {
            web.close();
            pool.close();
        }
        report.elapsedMs((System.nanoTime() - t0) / 1_000_000);
        return report;
    }

    // ---------------------------------------------------------------- loading

    private void stage(SqlConnection conn) throws Exception {
        exec(conn, """
                SET client_min_messages = warning;
                DROP TABLE IF EXISTS rec_billing, rec_results, rec_provider, rec_live, rec_payments, rec_effective,
                                     rec_ledger_net, rec_committed, rec_refunded, rec_ledger_refunded;
                CREATE TEMP TABLE rec_billing (payment_id text, amount bigint, currency text, accepted_ms bigint,
                                               src_partition bigint, src_offset bigint, tenant text);
                CREATE TEMP TABLE rec_results (payment_id text, status text, source_offset bigint);
                CREATE TEMP TABLE rec_provider (txn_id text, type text, charge_id text, payment_id text,
                                                amount bigint, currency text, created_s bigint,
                                                marker text, tenant text);
                -- The processor group's committed offset per billing partition: the next record it will read.
                CREATE TEMP TABLE rec_committed (src_partition bigint PRIMARY KEY, committed bigint NOT NULL);
                """);
    }

    private Object[] billingRow(ConsumerRecord<String, byte[]> r) {
        try {
            PaymentEvent e = PaymentEvent.parse(r.value());
            if (e.acceptedAtMs() < o.fromMs() || e.acceptedAtMs() > o.toMs()) {
                return null;
            }
            return new Object[] {
                e.paymentId(), e.amount(), e.currency(), e.acceptedAtMs(), (long) r.partition(), r.offset(), e.tenant()
            };
        } catch (RuntimeException bad) {
            return null; // the processor dead-letters these; they are not payments
        }
    }

    private Object[] resultRow(ConsumerRecord<String, byte[]> r) {
        try {
            OutcomeEvent e = OutcomeEvent.parse(r.value());
            return new Object[] {e.paymentId(), e.status().wire(), r.offset()};
        } catch (RuntimeException bad) {
            return null;
        }
    }

    /** Streams a topic from the window's start to its current end, page by page into a table. */
    private long loadTopic(
            SqlConnection conn,
            String topic,
            java.util.function.Function<ConsumerRecord<String, byte[]>, Object[]> row,
            String table,
            int columns)
            throws Exception {
        Map<String, Object> pass = new HashMap<>(o.kafka());
        pass.put("max.poll.records", o.pageRecordsMax());
        List<Object[]> page = new ArrayList<>(o.pageRecordsMax());
        long[] loaded = {0};
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(pass, null))) {
            // Records are stamped when the gateway sends them, just after acceptance: start a minute early.
            TopicScan.readToEnd(
                    c, topic, TopicScan.StartAt.timestamp(o.fromMs() - 60_000), Duration.ofSeconds(AWAIT_S), r -> {
                        Object[] values = row.apply(r);
                        if (values != null) {
                            page.add(values);
                        }
                        if (page.size() >= o.pageRecordsMax()) {
                            loaded[0] += flush(conn, table, columns, page);
                        }
                    });
        }
        return loaded[0] + flush(conn, table, columns, page);
    }

    /** Streams the provider's settlement report, from an hour before the window, into a table. */
    private long loadProvider(SqlConnection conn, SettlementReport settlements) throws Exception {
        List<Object[]> page = new ArrayList<>();
        long[] loaded = {0};
        Exception[] failed = {null};
        settlements.read(o.fromMs() / 1000 - PROVIDER_SLACK_S, line -> {
            page.add(line.row());
            if (page.size() >= o.pageRecordsMax() && failed[0] == null) {
                try {
                    loaded[0] += flush(conn, "rec_provider", SettlementReport.COLUMNS, page);
                } catch (Exception e) {
                    failed[0] = e;
                    page.clear();
                }
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        return loaded[0] + flush(conn, "rec_provider", SettlementReport.COLUMNS, page);
    }

    /**
     * The processor group's committed offsets on {@code payments.billing}. A billing record below its
     * partition's committed offset has been processed and its outcome, if any, committed with it; one
     * at or above it may still produce an outcome, so it must not be re-driven. A partition the group
     * never committed has no row: everything in it counts as not yet processed.
     */
    private long loadCommittedOffsets(SqlConnection conn) throws Exception {
        Map<String, Object> config = new HashMap<>(o.kafka());
        config.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
        config.putIfAbsent("request.timeout.ms", 30_000);
        config.putIfAbsent("default.api.timeout.ms", 60_000);
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = Admin.create(config)) {
            committed = admin.listConsumerGroupOffsets(o.processorGroupId())
                    .partitionsToOffsetAndMetadata()
                    .get(AWAIT_S, TimeUnit.SECONDS);
        }
        List<Object[]> page = new ArrayList<>();
        committed.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(Topics.BILLING)) {
                page.add(new Object[] {(long) tp.partition(), om.offset()});
            }
        });
        return flush(conn, "rec_committed", 2, page);
    }

    private long flush(SqlConnection conn, String table, int columns, List<Object[]> page) throws Exception {
        if (page.isEmpty()) {
            return 0;
        }
        int n = page.size();
        Object[] arrays = new Object[columns];
        for (int col = 0; col < columns; col++) {
            Object sample = page.get(0)[col];
            Object[] a = sample instanceof Long ? new Long[n] : new String[n];
            for (int i = 0; i < n; i++) {
                Object v = page.get(i)[col];
                a[i] = a instanceof Long[]
                        ? (v == null ? null : ((Number) v).longValue())
                        : (v == null ? null : v.toString());
            }
            arrays[col] = a;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table).append(" SELECT * FROM unnest(");
        for (int col = 0; col < columns; col++) {
            sql.append(col == 0 ? "" : ", ")
                    .append('$')
                    .append(col + 1)
                    .append(arrays[col] instanceof Long[] ? "::bigint[]" : "::text[]");
        }
        sql.append(')');
        await(conn.preparedQuery(sql.toString()).execute(Tuple.wrap(arrays)));
        page.clear();
        return n;
    }

    // ---------------------------------------------------------------- comparing

    /**
     * Everything the comparisons join on, computed once and indexed: the live (unrefunded) charges,
     * the window's ledger rows, effective statuses after compensations, and ledger money per
     * currency. Each comparison is then a join on indexed temporary tables, never a correlated scan.
     */
    private String derivedTables() {
        // Literals, not parameters: utility statements take none, and these are our own longs.
        String window = "accepted_at BETWEEN to_timestamp(" + o.fromMs() + " / 1000.0) AND to_timestamp(" + o.toMs()
                + " / 1000.0)";
        return """
                CREATE INDEX ON rec_billing (payment_id);
                CREATE INDEX ON rec_results (payment_id);
                CREATE INDEX ON rec_provider (payment_id);
                CREATE INDEX ON rec_provider (charge_id);
                ANALYZE rec_billing; ANALYZE rec_results; ANALYZE rec_provider;
                -- What the provider refunded of each charge: partial refunds sum, a charge is live until
                -- its refunds reach its amount.
                CREATE TEMP TABLE rec_refunded AS
                    SELECT r.charge_id, -sum(r.amount) AS refunded FROM rec_provider r
                    WHERE r.type = 'refund' AND r.charge_id IS NOT NULL GROUP BY 1;
                CREATE UNIQUE INDEX ON rec_refunded (charge_id);
                CREATE TEMP TABLE rec_live AS
                    SELECT c.* FROM rec_provider c LEFT JOIN rec_refunded f ON f.charge_id = c.charge_id
                    WHERE c.type = 'charge' AND coalesce(f.refunded, 0) < c.amount;
                CREATE INDEX ON rec_live (payment_id);
                CREATE INDEX ON rec_live (charge_id);
                ANALYZE rec_committed;
                CREATE TEMP TABLE rec_payments AS
                    SELECT payment_id, status, decided_at, coalesce(last_attempt_at, created_at) AS last_touched_at,
                           tenant, provider_ref
                    FROM payments WHERE %s;
                CREATE UNIQUE INDEX ON rec_payments (payment_id);
                CREATE TEMP TABLE rec_effective AS
                    SELECT p.payment_id, coalesce(c.status, p.status) AS status
                    FROM rec_payments p
                    LEFT JOIN (SELECT DISTINCT ON (payment_id) payment_id, substring(note FROM 8) AS status
                               FROM ledger_entries WHERE kind = 'compensation' AND note LIKE 'status:%%'
                               ORDER BY payment_id, entry_id DESC) c ON c.payment_id = p.payment_id;
                CREATE UNIQUE INDEX ON rec_effective (payment_id);
                CREATE TEMP TABLE rec_ledger_net AS
                    SELECT e.payment_id, e.currency::text AS currency, sum(e.amount) AS net
                    FROM ledger_entries e JOIN rec_payments p ON p.payment_id = e.payment_id
                    GROUP BY 1, 2 HAVING sum(e.amount) <> 0;
                CREATE INDEX ON rec_ledger_net (payment_id);
                -- What the ledger refunded of each payment: its refund entries and refund compensations.
                CREATE TEMP TABLE rec_ledger_refunded AS
                    SELECT e.payment_id, -sum(e.amount) AS refunded
                    FROM ledger_entries e JOIN rec_payments p ON p.payment_id = e.payment_id
                    WHERE e.kind = 'refund' OR (e.kind = 'compensation' AND e.note = '%s')
                    GROUP BY 1;
                CREATE UNIQUE INDEX ON rec_ledger_refunded (payment_id);
                ANALYZE rec_refunded; ANALYZE rec_ledger_refunded; ANALYZE rec_live; ANALYZE rec_payments; ANALYZE rec_effective; ANALYZE rec_ledger_net;
                """.formatted(window, BreakQueries.REFUND_NOTE);
    }

    private Map<BreakClass, List<Row>> compare(SqlConnection conn, ReconcileReport report) throws Exception {
        long settledBeforeMs = System.currentTimeMillis() - o.graceMs();
        Tuple args = Tuple.of(o.fromMs(), o.toMs(), settledBeforeMs, (double) o.stuckAfterMs());
        Map<BreakClass, List<Row>> found = new java.util.EnumMap<>(BreakClass.class);
        for (Map.Entry<BreakClass, String> q : BreakQueries.all().entrySet()) {
            // Every query gets the same four parameters; PostgreSQL needs each one used, so pad.
            String typed = q.getValue()
                    .replace("$1", "$1::bigint")
                    .replace("$2", "$2::bigint")
                    .replace("$3", "$3::bigint")
                    .replace("$4", "$4::float8");
            String sql = "SELECT * FROM (" + typed + ") x WHERE $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL"
                    + " AND $3::bigint IS NOT NULL AND $4::double precision IS NOT NULL";
            RowSet<Row> rows = await(conn.preparedQuery(sql).execute(args));
            List<Row> list = new ArrayList<>();
            for (Row r : rows) {
                list.add(r);
                report.add(q.getKey(), r.getString(0), o.idsPerClassMax());
                if (q.getKey() == BreakClass.LAGGING) {
                    report.lagging(r.getString(2));
                }
            }
            found.put(q.getKey(), list);
        }
        return found;
    }

    // ---------------------------------------------------------------- repairing

    private void repair(
            SqlConnection conn, SettlementReport settlements, Map<BreakClass, List<Row>> found, ReconcileReport report)
            throws Exception {
        List<String> redrive = new ArrayList<>();
        for (BreakClass c : List.of(BreakClass.MISSING_IN_LEDGER, BreakClass.MISSING_OUTCOME, BreakClass.STUCK)) {
            found.get(c).forEach(r -> redrive.add(r.getString(1)));
            report.repaired(c, found.get(c).size());
        }
        if (!redrive.isEmpty()) {
            redrive(conn, redrive);
        }
        for (Row r : found.get(BreakClass.ORPHAN_CHARGE)) {
            settlements.refund(r.getString(0), "orphan");
            report.repaired(BreakClass.ORPHAN_CHARGE, 1);
        }
        for (Row r : found.get(BreakClass.DUPLICATE_CHARGE)) {
            // Keep the charge the ledger knows (or the oldest); refund the others.
            RowSet<Row> extra = await(conn.preparedQuery("""
                            SELECT c.charge_id FROM rec_live c
                            WHERE c.payment_id = $1
                            ORDER BY (c.charge_id = (SELECT provider_ref FROM payments WHERE payment_id = $1)) DESC NULLS LAST,
                                     c.created_s, c.charge_id
                            OFFSET 1""").execute(Tuple.of(r.getString(1))));
            for (Row e : extra) {
                settlements.refund(e.getString(0), "duplicate");
            }
            report.repaired(BreakClass.DUPLICATE_CHARGE, 1);
        }
        for (Row r : found.get(BreakClass.STATUS_MISMATCH)) {
            // The provider charged: the entry brings the ledger to the provider's money and status.
            compensate(conn, r.getString(1), "status:succeeded");
            report.repaired(BreakClass.STATUS_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.MISSING_AT_PROVIDER)) {
            // The provider holds nothing: the entry reverses the ledger's money and marks it failed.
            compensate(conn, r.getString(1), "status:failed");
            report.repaired(BreakClass.MISSING_AT_PROVIDER, 1);
        }
        for (Row r : found.get(BreakClass.REFUND_MISMATCH)) {
            repairRefunds(conn, r.getString(1));
            report.repaired(BreakClass.REFUND_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.AMOUNT_MISMATCH)) {
            await(conn.preparedQuery("""
                            INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                            SELECT $1, 'compensation',
                                   (SELECT sum(amount) FROM rec_provider WHERE payment_id = $1)
                                 - (SELECT sum(amount) FROM ledger_entries WHERE payment_id = $1),
                                   (SELECT min(currency) FROM rec_provider WHERE payment_id = $1), 'amount:provider'""").execute(Tuple.of(r.getString(1))));
            report.repaired(BreakClass.AMOUNT_MISMATCH, 1);
        }
        for (Row r : found.get(BreakClass.CURRENCY_MISMATCH)) {
            await(conn.preparedQuery("""
                            INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                            SELECT payment_id, 'compensation', -sum(amount), currency, 'currency:reverse'
                            FROM ledger_entries WHERE payment_id = $1 GROUP BY payment_id, currency HAVING sum(amount) <> 0
                            UNION ALL
                            SELECT payment_id, 'compensation', sum(amount), currency, 'currency:provider'
                            FROM rec_provider WHERE payment_id = $1 GROUP BY payment_id, currency HAVING sum(amount) <> 0""").execute(Tuple.of(r.getString(1))));
            report.repaired(BreakClass.CURRENCY_MISMATCH, 1);
        }
    }

    /**
     * A payment whose ledger and provider refunded different sums. First the ledger's own record: a
     * {@code refund} entry for each refund the processor recorded succeeded whose entry is missing
     * (one per refund id, by the database's unique index). Then what the processor never recorded (a
     * refund made in the provider's dashboard, or a ledger refund the provider does not hold): one
     * compensation of the difference, noted {@link BreakQueries#REFUND_NOTE}. Not while a refund of
     * the payment is still {@code refunding}: its answer would be recorded on top of the compensation.
     */
    private static void repairRefunds(SqlConnection conn, String paymentId) throws Exception {
        await(conn.preparedQuery("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, refund_id)
                        SELECT x.payment_id, 'refund', -x.amount, x.currency, x.refund_id FROM refunds x
                        WHERE x.payment_id = $1 AND x.status = 'succeeded'
                        ON CONFLICT (refund_id) WHERE refund_id IS NOT NULL DO NOTHING""").execute(Tuple.of(paymentId)));
        await(conn.preparedQuery("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                        SELECT p.payment_id, 'compensation', g.gap, p.currency, $2
                        FROM payments p, LATERAL (SELECT
                               coalesce((SELECT -sum(e.amount) FROM ledger_entries e WHERE e.payment_id = p.payment_id
                                         AND (e.kind = 'refund' OR (e.kind = 'compensation' AND e.note = $2))), 0)
                             - coalesce((SELECT f.refunded FROM rec_refunded f WHERE f.charge_id = p.provider_ref), 0) AS gap) g
                        WHERE p.payment_id = $1 AND g.gap <> 0
                          AND NOT EXISTS (SELECT 1 FROM refunds x WHERE x.payment_id = $1 AND x.status = 'refunding')""").execute(Tuple.of(paymentId, BreakQueries.REFUND_NOTE)));
    }

    /** Appends an entry of (provider net - ledger net) in the provider's currency, with {@code note}. */
    private static void compensate(SqlConnection conn, String paymentId, String note) throws Exception {
        await(conn.preparedQuery("""
                        INSERT INTO ledger_entries (payment_id, kind, amount, currency, note)
                        SELECT $1, 'compensation',
                               coalesce((SELECT sum(amount) FROM rec_provider WHERE payment_id = $1), 0)
                             - coalesce((SELECT sum(amount) FROM ledger_entries WHERE payment_id = $1), 0),
                               coalesce((SELECT min(currency) FROM rec_provider WHERE payment_id = $1),
                                        (SELECT currency FROM payments WHERE payment_id = $1)),
                               $2""").execute(Tuple.of(paymentId, note)));
    }

    /** Sends the payments through the normal path again, with the same ids, marked as re-driven. */
    private void redrive(SqlConnection conn, List<String> paymentIds) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaSafety.idempotentProducer(o.kafka()))) {
            RowSet<Row> rows =
                    await(conn.preparedQuery("""
                            SELECT p.payment_id, p.tenant, p.idempotency_key, p.request_hash, p.amount, p.currency,
                                   p.customer_id, p.payment_method, (extract(epoch FROM p.accepted_at) * 1000)::bigint
                            FROM payments p WHERE p.payment_id = ANY($1::text[])""").execute(Tuple.of((Object) paymentIds.toArray(String[]::new))));
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            java.util.Set<String> fromLedger = new java.util.HashSet<>();
            for (Row r : rows) {
                PaymentEvent e = new PaymentEvent(
                        r.getString(0),
                        r.getString(1),
                        r.getString(2),
                        r.getString(3),
                        r.getLong(4),
                        r.getString(5).trim(),
                        r.getString(6),
                        r.getString(7),
                        "",
                        Map.of(),
                        r.getLong(8));
                sent.add(producer.send(redriven(e.paymentId(), e.toBytes())));
                fromLedger.add(e.paymentId());
            }
            // Missing in the ledger: the accepted event itself, read back from payments.billing.
            List<String> fromLog =
                    paymentIds.stream().filter(id -> !fromLedger.contains(id)).toList();
            if (!fromLog.isEmpty()) {
                java.util.Set<String> wanted = new java.util.HashSet<>(fromLog);
                scanBilling(r -> {
                    if (r.key() != null && wanted.remove(r.key())) {
                        sent.add(producer.send(redriven(r.key(), r.value())));
                    }
                });
            }
            producer.flush();
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private void scanBilling(TopicScan.Handler each) throws Exception {
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(new HashMap<>(o.kafka()), null))) {
            TopicScan.readToEnd(
                    c,
                    Topics.BILLING,
                    TopicScan.StartAt.timestamp(o.fromMs() - 60_000),
                    Duration.ofSeconds(AWAIT_S),
                    each);
        }
    }

    private static ProducerRecord<String, byte[]> redriven(String key, byte[] value) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.BILLING, key, value);
        r.headers().add(InputRecord.REDRIVE_HEADER, "reconciliation".getBytes(StandardCharsets.UTF_8));
        return r;
    }

    private static void exec(SqlConnection conn, String sql) throws Exception {
        await(conn.query(sql).execute());
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(AWAIT_S, TimeUnit.SECONDS);
    }
}
