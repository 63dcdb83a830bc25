package com.streamsocial.billing.processor.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * The count of payments in {@code charging} for longer than a bound: the stuck-payment gauge's query
 * over the {@code payments} table, kept with the processor's other ledger SQL. Bounded, so a check
 * costs at most {@link #COUNTED_MAX} rows however many are stuck.
 */
public final class StuckPayments {
    /** Rows counted at most by one check of the payments stuck in charging: the query's bound. */
    public static final int COUNTED_MAX = 10_000;

    private static final String SQL = """
            SELECT count(*) FROM (
              SELECT 1 FROM payments
              WHERE status = 'charging'
                AND coalesce(last_attempt_at, created_at) < now() - make_interval(secs => $1)
              LIMIT $2) stuck""";

    private final Pool pool;

    public StuckPayments(Pool pool) {
        this.pool = pool;
    }

    /** The payments in {@code charging} since longer than {@code stuckAfterMs} ago, up to {@link #COUNTED_MAX}. */
    public Future<Long> count(long stuckAfterMs) {
        return pool.preparedQuery(SQL)
                .execute(Tuple.of((double) stuckAfterMs / 1000.0, COUNTED_MAX))
                .map(rows -> rows.iterator().next().getLong(0));
    }
}
