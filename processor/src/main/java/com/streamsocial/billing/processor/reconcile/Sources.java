package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Loads each source of a window into the session's temporary tables, page by page so that memory stays
 * bounded: the log ({@code rec_billing}), the outcomes ({@code rec_results}), the provider's report
 * ({@code rec_provider}), the processor group's offsets ({@code rec_committed}) and the ledger.
 */
final class Sources {
    /** Charges can settle a while after acceptance; read the report from this long before the window. */
    private static final long PROVIDER_SLACK_S = 3_600;

    private final ReconcileResources resources;
    private final ReconcileSession session;
    private final ReconcileOptions o;

    Sources(ReconcileResources resources, ReconcileOptions o) {
        this.resources = resources;
        this.session = resources.session();
        this.o = o;
    }

    /** Loads every source, in this order, and counts each one's records in {@code report}. */
    void load(ReconcileReport report) throws Exception {
        stage();
        report.source("billing", loadTopic(Topics.BILLING, this::billingRow, "rec_billing", 7));
        report.source("results", loadTopic(Topics.RESULTS, this::resultRow, "rec_results", 3));
        report.source("provider", loadProvider(resources.settlements()));
        // After the billing scan: every record it saw is at or below these offsets' reach.
        report.source("group_offsets", loadCommittedOffsets());
        session.exec(derivedTables());
        report.source("ledger", session.count("SELECT count(*) FROM rec_payments"));
    }

    private void stage() throws Exception {
        session.exec("""
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
            String topic, Function<ConsumerRecord<String, byte[]>, Object[]> row, String table, int columns)
            throws Exception {
        List<Object[]> page = new ArrayList<>(o.pageRecordsMax());
        long[] loaded = {0};
        resources.scan(topic, true, r -> {
            Object[] values = row.apply(r);
            if (values != null) {
                page.add(values);
            }
            if (page.size() >= o.pageRecordsMax()) {
                loaded[0] += session.insert(table, columns, page);
            }
        });
        return loaded[0] + session.insert(table, columns, page);
    }

    /** Streams the provider's settlement report, from an hour before the window, into a table. */
    private long loadProvider(SettlementReport settlements) throws Exception {
        List<Object[]> page = new ArrayList<>();
        long[] loaded = {0};
        Exception[] failed = {null};
        settlements.read(o.fromMs() / 1000 - PROVIDER_SLACK_S, line -> {
            page.add(line.row());
            if (page.size() >= o.pageRecordsMax() && failed[0] == null) {
                try {
                    loaded[0] += session.insert("rec_provider", SettlementReport.COLUMNS, page);
                } catch (Exception e) {
                    failed[0] = e;
                    page.clear();
                }
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        return loaded[0] + session.insert("rec_provider", SettlementReport.COLUMNS, page);
    }

    /**
     * The processor group's committed offsets on {@code payments.billing}. A billing record below its
     * partition's committed offset has been processed and its outcome, if any, committed with it; one
     * at or above it may still produce an outcome, so it must not be re-driven. A partition the group
     * never committed has no row: everything in it counts as not yet processed.
     */
    private long loadCommittedOffsets() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = resources.admin()) {
            committed = admin.listConsumerGroupOffsets(o.processorGroupId())
                    .partitionsToOffsetAndMetadata()
                    .get(ReconcileSession.AWAIT_S, TimeUnit.SECONDS);
        }
        List<Object[]> page = new ArrayList<>();
        committed.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(Topics.BILLING)) {
                page.add(new Object[] {(long) tp.partition(), om.offset()});
            }
        });
        return session.insert("rec_committed", 2, page);
    }

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
}
