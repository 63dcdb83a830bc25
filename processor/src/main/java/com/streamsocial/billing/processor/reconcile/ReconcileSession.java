package com.streamsocial.billing.processor.reconcile;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one PostgreSQL session of a reconciliation run, which holds its {@code rec_*} temporary tables:
 * blocking statements on it, and the page-at-a-time insert every source is loaded with.
 */
final class ReconcileSession {
    /** A run waits this long for any one statement, scan or answer. */
    static final long AWAIT_S = 600;

    private final SqlConnection conn;

    ReconcileSession(SqlConnection conn) {
        this.conn = conn;
    }

    /** The connection, for the ledger's own statements ({@code LedgerStore}) run in this session. */
    SqlConnection connection() {
        return conn;
    }

    /** Runs {@code sql}, one or more statements without parameters. */
    void exec(String sql) throws Exception {
        await(conn.query(sql).execute());
    }

    /** Runs the prepared statement {@code sql} with {@code args}. */
    RowSet<Row> query(String sql, Tuple args) throws Exception {
        return await(conn.preparedQuery(sql).execute(args));
    }

    /** The single number {@code sql} selects. */
    long count(String sql) throws Exception {
        return await(conn.query(sql).execute()).iterator().next().getLong(0);
    }

    /**
     * Inserts {@code page} (rows of {@code columns} values, each column all longs or all strings) into
     * {@code table} in one statement, then clears it. Returns the rows inserted.
     */
    long insert(String table, int columns, List<Object[]> page) throws Exception {
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

    /** Gives the connection back; the temporary tables go with the session. */
    void close() {
        conn.close();
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(AWAIT_S, TimeUnit.SECONDS);
    }
}
