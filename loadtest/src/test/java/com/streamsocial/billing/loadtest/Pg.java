package com.streamsocial.billing.loadtest;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.concurrent.TimeUnit;

/** Test support: blocking SQL against the real PostgreSQL, for counting what the pipeline stored. */
final class Pg implements AutoCloseable {
    private final Pool pool;

    Pg(Vertx vertx, String uri) {
        pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(uri))
                .using(vertx)
                .build();
    }

    long count(String sql) {
        try {
            return pool.query(sql)
                    .execute()
                    .map(rows -> rows.iterator().next().getLong(0))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(sql, e);
        }
    }

    String text(String sql) {
        try {
            return pool.query(sql)
                    .execute()
                    .map(rows -> rows.iterator().next().getString(0))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Runs a statement that returns no rows (DDL, DML), for a test's set-up or a fault it injects. */
    void exec(String sql) {
        try {
            pool.query(sql).execute().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The first column of every row, as text. */
    java.util.List<String> strings(String sql) {
        try {
            return pool.query(sql)
                    .execute()
                    .map(rows -> {
                        java.util.List<String> out = new java.util.ArrayList<>();
                        rows.forEach(r -> out.add(r.getString(0)));
                        return out;
                    })
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Waits until {@code sql} counts at least {@code expected}, and returns the final count. */
    long awaitCount(String sql, long expected, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        long n = count(sql);
        while (n < expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
            n = count(sql);
        }
        return n;
    }

    @Override
    public void close() {
        pool.close();
    }
}
