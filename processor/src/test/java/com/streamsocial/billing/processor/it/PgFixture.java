package com.streamsocial.billing.processor.it;

import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.stack.EmbeddedPg;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/** A real, migrated PostgreSQL (embedded) with a Vert.x pool on it, for the ledgers' tests. */
final class PgFixture implements AutoCloseable {
    final EmbeddedPg pg;
    final Vertx vertx;
    final Pool pool;

    private PgFixture(EmbeddedPg pg, Vertx vertx, Pool pool) {
        this.pg = pg;
        this.vertx = vertx;
        this.pool = pool;
    }

    static PgFixture start() throws Exception {
        EmbeddedPg pg = EmbeddedPg.start(0);
        Migrations.migrate(pg.uri());
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .connectingTo(PgConnectOptions.fromUri(pg.uri()))
                .using(vertx)
                .build();
        return new PgFixture(pg, vertx, pool);
    }

    @Override
    public void close() throws Exception {
        pool.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        pg.close();
    }
}
