package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Sent;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The chaos run's refund verification: the wait for the refunds' decisions, then {@link RefundChecks} over
 * the ledger, payments.refund-results and the sandbox's tables (read as the payment checks read its charges).
 */
final class RefundVerification {
    /** How often the wait for the refunds' decisions looks. */
    private static final long SETTLE_POLL_MS = 500;

    private RefundVerification() {}

    /** Sleeps while the services are supervised (ChaosCommand's waitWatching). */
    @FunctionalInterface
    interface Waiter {
        void waitMs(long ms) throws Exception;
    }

    /**
     * Waits, at most {@code timeoutMs}, until every refund answered 2xx has a final status in the
     * processor's table; prints how long, and how many are left (the checks then report each).
     */
    static void settle(RefundLoad load, Pool pool, long timeoutMs, Waiter waiter) throws Exception {
        Set<String> accepted = new HashSet<>();
        for (Sent r : load.sent()) {
            if (r.replies().stream().anyMatch(rep -> rep.answer() == Answer.ACCEPTED)) {
                accepted.add(r.refundId());
            }
        }
        long t0 = System.currentTimeMillis();
        Set<String> open = new HashSet<>(accepted);
        while (true) {
            for (Row row : query(pool, "SELECT refund_id FROM refunds WHERE status IN ('succeeded', 'failed')")) {
                open.remove(row.getString(0));
            }
            if (open.isEmpty() || System.currentTimeMillis() - t0 >= timeoutMs) {
                break;
            }
            waiter.waitMs(SETTLE_POLL_MS);
        }
        System.out.printf(
                "refunds settled after %d ms (%d of %d accepted refunds still undecided)%n",
                System.currentTimeMillis() - t0, open.size(), accepted.size());
    }

    /** The refund rules' violations; their counts go to {@code summary}. */
    static List<Violation> verify(
            RefundLoad load,
            Pool pool,
            String bootstrap,
            long fromEpochS,
            List<ChaosChecks.Window> killWindows,
            Map<String, String> summary)
            throws Exception {
        List<Sent> sent = load.sent();
        RefundChecks.Stores stores = stores(pool, bootstrap, fromEpochS);
        RefundChecks.Result r = RefundChecks.verify(sent, stores, killWindows);
        RefundChecks.Counts c = r.counts();
        long providerSum = stores.provider().stream()
                .mapToLong(RefundChecks.ProviderRefund::amountMinor)
                .sum();
        long ledgerEntries =
                stores.ledger().values().stream().mapToLong(List::size).sum();
        long outcomes = stores.outcomes().values().stream()
                .mapToLong(Integer::longValue)
                .sum();
        summary.put(
                "refunds sent",
                load.plans() + " plans (" + load.plansSkipped() + " skipped at the limit), " + c.requests() + " keys, "
                        + c.copies() + " requests with their concurrent copies, " + load.retries() + " retries");
        summary.put(
                "refunds accepted (2xx)",
                c.accepted() + " (with a try in a kill window: " + c.acceptedInKillWindows() + "); succeeded "
                        + c.succeeded() + ", failed " + c.failed() + "; unknown (no final answer) " + c.unknown());
        summary.put(
                "refunds refused over the remainder (422) as expected",
                c.refusedOverRemainder() + " (of them the losers of concurrent races: " + c.raceRefusals() + ")");
        summary.put(
                "refund concurrent duplicate groups (one key, 2+ copies accepted)", Long.toString(c.duplicateGroups()));
        summary.put(
                "refunds in the stores",
                "provider (sandbox) " + stores.provider().size() + " refunds of " + providerSum + " in all, matched one"
                        + " to one to a succeeded refund: " + c.providerMatched() + "; ledger refund entries "
                        + ledgerEntries + "; outcomes on " + Topics.REFUND_RESULTS + " " + outcomes);
        Map<String, Integer> byRule = new java.util.TreeMap<>();
        r.violations().forEach(v -> byRule.merge(v.rule(), 1, Integer::sum));
        summary.put("refund violations by rule", byRule.isEmpty() ? "none" : byRule.toString());
        return r.violations();
    }

    private static RefundChecks.Stores stores(Pool pool, String bootstrap, long fromEpochS) throws Exception {
        Map<String, RefundChecks.Stored> refunds = new HashMap<>();
        for (Row r : query(pool, "SELECT refund_id, payment_id, amount, status FROM refunds")) {
            refunds.put(r.getString(0), new RefundChecks.Stored(r.getString(1), r.getLong(2), r.getString(3)));
        }
        Set<String> intents = new HashSet<>();
        query(pool, "SELECT refund_id FROM refund_intents").forEach(r -> intents.add(r.getString(0)));
        Map<String, List<Long>> ledger = new HashMap<>();
        Map<String, Long> ledgerRefunded = new HashMap<>();
        for (Row r : query(pool, "SELECT refund_id, payment_id, -amount FROM ledger_entries WHERE kind = 'refund'")) {
            if (r.getString(0) != null) {
                ledger.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getLong(2));
            }
            ledgerRefunded.merge(r.getString(1), r.getLong(2), Long::sum);
        }
        Map<String, Long> captured = new HashMap<>();
        query(pool, "SELECT payment_id, amount FROM payments WHERE status = 'succeeded'")
                .forEach(r -> captured.put(r.getString(0), r.getLong(1)));
        List<RefundChecks.ProviderRefund> provider = new ArrayList<>();
        for (Row r : query(
                pool,
                "SELECT id, refund_id, payment_id, -amount FROM sandbox.balance_transactions WHERE type = 'refund'"
                        + " AND created_s >= " + fromEpochS)) {
            provider.add(new RefundChecks.ProviderRefund(r.getString(0), r.getString(1), r.getString(2), r.getLong(3)));
        }
        Map<String, RefundChecks.Charge> charges = new HashMap<>();
        for (Row r : query(
                pool,
                "SELECT payment_id, amount, amount_refunded FROM sandbox.charges WHERE payment_id IS NOT NULL"
                        + " AND created_s >= " + fromEpochS)) {
            charges.put(r.getString(0), new RefundChecks.Charge(r.getLong(1), r.getLong(2)));
        }
        Map<String, Integer> outcomes = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(bootstrap, Topics.REFUND_RESULTS, true)) {
            String id;
            try {
                id = new JsonObject(io.vertx.core.buffer.Buffer.buffer(r.value())).getString("refund_id");
            } catch (RuntimeException e) {
                id = "unreadable at " + r.partition() + "@" + r.offset();
            }
            outcomes.merge(id, 1, Integer::sum);
        }
        return new RefundChecks.Stores(refunds, intents, ledger, ledgerRefunded, captured, provider, charges, outcomes);
    }

    private static io.vertx.sqlclient.RowSet<Row> query(Pool pool, String sql) throws Exception {
        return pool.query(sql).execute().await(60, TimeUnit.SECONDS);
    }
}
