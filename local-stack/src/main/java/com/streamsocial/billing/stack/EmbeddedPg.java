package com.streamsocial.billing.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A real PostgreSQL server run from the zonky binaries, listening on 127.0.0.1. The library's
 * defaults turn durability off; this stack turns {@code fsync} and {@code synchronous_commit} back on,
 * because it keeps payments. Closing it stops the server and deletes its data directory.
 */
public final class EmbeddedPg implements AutoCloseable {
    private final EmbeddedPostgres pg;
    private final Path dataDir;

    private EmbeddedPg(EmbeddedPostgres pg, Path dataDir) {
        this.pg = pg;
        this.dataDir = dataDir;
    }

    /** Starts PostgreSQL on {@code port}; 0 picks a free one. */
    public static EmbeddedPg start(int port) throws IOException {
        Path dataDir = TempDirs.create("billing-pg-");
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(port == 0 ? FreePorts.pick() : port)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(true)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "200")
                .setServerConfig("listen_addresses", "127.0.0.1");
        // For profiling only (e.g. -Dpg.sharedPreloadLibraries=pg_stat_statements): the binaries ship
        // contrib modules, which must be loaded at server start.
        String preload = System.getProperty("pg.sharedPreloadLibraries", "");
        if (!preload.isBlank()) {
            builder.setServerConfig("shared_preload_libraries", preload);
        }
        EmbeddedPostgres pg = builder.start();
        return new EmbeddedPg(pg, dataDir);
    }

    public int port() {
        return pg.getPort();
    }

    /** A libpq-style URI that vertx-pg-client and psql both accept. */
    public String uri() {
        return "postgresql://postgres@127.0.0.1:" + port() + "/postgres";
    }

    @Override
    public void close() throws IOException {
        pg.close();
        TempDirs.delete(dataDir);
    }
}
