package com.streamsocial.billing.processor.guarantee;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.batch.BatchOrchestrator;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * One batch of the naive guarantees: charge every parsed record (no claim, no dedup, the provider
 * called without an idempotency key), append each final answer to {@code naive_outcomes} (a plain
 * INSERT, no uniqueness: a payment processed twice is recorded twice, so the comparison counts what
 * really happened), and return its outcome and metrics events. Nothing here makes a replay safe: that
 * is the point. Unparseable records and non-final answers are dropped (logged by count).
 */
public final class NaiveBatch {
    /**
     * The naive modes' record of outcomes, apart from {@code payments} (whose primary key would
     * deduplicate). Created here rather than by a schema migration: it belongs to the demonstration,
     * not to the payments schema, and an exactly-once deployment never has it.
     */
    static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS naive_outcomes (
                payment_id   text        NOT NULL,
                tenant       text        NOT NULL,
                status       text        NOT NULL,
                amount       bigint      NOT NULL,
                currency     text        NOT NULL,
                provider_ref text,
                failure_code text,
                guarantee    text        NOT NULL,
                decided_at   timestamptz NOT NULL DEFAULT now()
            )
            """;

    private static final String INSERT = """
            INSERT INTO naive_outcomes (payment_id, tenant, status, amount, currency, provider_ref, failure_code,
                                        guarantee)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                                 $7::text[], $8::text[])
            """;

    private final Pool pool;
    private final PaymentProvider provider;
    private final ProcessorMeters metrics;
    private final Guarantee guarantee;
    /** Registered at start, like every processor meter: rate() then sees the first drop. */
    private final Counter dropped;

    public NaiveBatch(Pool pool, PaymentProvider provider, ProcessorMeters metrics, Guarantee guarantee) {
        this.pool = pool;
        this.provider = provider;
        this.metrics = metrics;
        this.guarantee = guarantee;
        this.dropped = metrics.naiveDropped();
    }

    /** Creates {@code naive_outcomes} if it is missing. */
    public Future<Void> prepare() {
        return pool.query(CREATE_TABLE).execute().mapEmpty();
    }

    public Future<List<ProducerRecord<String, byte[]>>> process(List<InputRecord> batch) {
        Map<String, InputRecord> byId = new HashMap<>();
        List<PaymentProvider.Charge> charges = new ArrayList<>();
        for (InputRecord r : batch) {
            if (!r.parsed()) {
                dropped.increment();
                continue;
            }
            var e = r.event();
            byId.put(e.paymentId(), r);
            charges.add(new PaymentProvider.Charge(
                    e.paymentId(), e.amount(), e.currency(), e.customerId(), e.paymentMethod(), e.tenant(), null));
        }
        if (charges.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        return charged(charges).compose(results -> {
            List<PaymentProvider.ChargeResult> decided =
                    results.stream().filter(r -> r.verdict().isFinal()).toList();
            if (decided.isEmpty()) {
                return Future.succeededFuture(List.of());
            }
            return record(decided, byId).map(v -> emit(decided, byId));
        });
    }

    /**
     * Each payment charged at once, in one step or in two (the second by {@link
     * BatchOrchestrator#secondStep}): nothing is recorded between them, that is the naive part.
     */
    Future<List<PaymentProvider.ChargeResult>> charged(List<PaymentProvider.Charge> charges) {
        return provider.prepare(charges).compose(prepared -> {
            if (prepared.isEmpty()) {
                return provider.charge(charges);
            }
            List<PaymentProvider.Charge> second = BatchOrchestrator.secondStep(charges, prepared);
            return (second.isEmpty()
                            ? Future.succeededFuture(List.<PaymentProvider.ChargeResult>of())
                            : provider.charge(second))
                    .map(rest -> {
                        List<PaymentProvider.ChargeResult> all = new ArrayList<>(prepared.size() + rest.size());
                        all.addAll(prepared);
                        all.addAll(rest);
                        return all;
                    });
        });
    }

    private Future<Void> record(List<PaymentProvider.ChargeResult> decided, Map<String, InputRecord> byId) {
        int n = decided.size();
        String[] ids = new String[n],
                tenants = new String[n],
                statuses = new String[n],
                currencies = new String[n],
                refs = new String[n],
                codes = new String[n],
                modes = new String[n];
        Long[] amounts = new Long[n];
        for (int i = 0; i < n; i++) {
            PaymentProvider.ChargeResult r = decided.get(i);
            var e = byId.get(r.paymentId()).event();
            ids[i] = r.paymentId();
            tenants[i] = e.tenant();
            statuses[i] = status(r).wire();
            amounts[i] = e.amount();
            currencies[i] = e.currency();
            refs[i] = r.providerRef();
            codes[i] = r.failureCode();
            modes[i] = guarantee.wire();
        }
        return pool.preparedQuery(INSERT)
                .execute(Tuple.wrap(new Object[] {ids, tenants, statuses, amounts, currencies, refs, codes, modes}))
                .mapEmpty();
    }

    private List<ProducerRecord<String, byte[]>> emit(
            List<PaymentProvider.ChargeResult> decided, Map<String, InputRecord> byId) {
        long now = System.currentTimeMillis();
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(decided.size() + 1);
        MetricsBatch.Builder analytics = new MetricsBatch.Builder(now);
        for (PaymentProvider.ChargeResult r : decided) {
            var e = byId.get(r.paymentId()).event();
            PaymentStatus status = status(r);
            OutcomeEvent o = new OutcomeEvent(
                    e.paymentId(),
                    e.tenant(),
                    e.idempotencyKey(),
                    status,
                    e.amount(),
                    e.currency(),
                    r.failureCode(),
                    r.providerRef(),
                    now);
            out.add(new ProducerRecord<>(Topics.RESULTS, e.paymentId(), o.toBytes()));
            String type = status == PaymentStatus.SUCCEEDED ? MetricsBatch.SUCCEEDED : MetricsBatch.FAILED;
            analytics.add(type, e.paymentId(), e.tenant(), e.amount(), e.currency());
        }
        for (MetricsBatch m : analytics.build()) {
            out.add(new ProducerRecord<>(Topics.METRICS, m.key(), m.toBytes()));
        }
        metrics.outcomesEmitted.increment(decided.size());
        return out;
    }

    private static PaymentStatus status(PaymentProvider.ChargeResult r) {
        return r.succeeded() ? PaymentStatus.SUCCEEDED : PaymentStatus.FAILED;
    }
}
