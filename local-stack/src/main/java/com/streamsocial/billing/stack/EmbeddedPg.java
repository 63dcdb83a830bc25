package com.streamsocial.billing.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server run from the zonky binaries, listening on 127.0.0.1. The library's
 * defaults turn durability off; this stack turns {@code fsync} and {@code synchronous_commit} back on,
 * because it keeps payments. Closing it stops the server and deletes its data directory, unless it
 * was started on a kept one ({@link #startKept}).
 */
public final class EmbeddedPg implements AutoCloseable {
    /** How long a start on a kept directory may take: crash recovery replays the WAL first. */
    static final Duration KEPT_STARTUP_WAIT = Duration.ofSeconds(120);
    /** How long a postmaster left running by a killed stack gets to shut down (fast mode) before SIGKILL. */
    static final long ORPHAN_STOP_WAIT_MS = 60_000;

    private final EmbeddedPostgres pg;
    private final Path dataDir;
    private final boolean deleteOnClose;

    private EmbeddedPg(EmbeddedPostgres pg, Path dataDir, boolean deleteOnClose) {
        this.pg = pg;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
    }

    /** Starts PostgreSQL on {@code port}; 0 picks a free one. */
    public static EmbeddedPg start(int port) throws IOException {
        Path dataDir = TempDirs.create("billing-pg-");
        return new EmbeddedPg(builder(port, dataDir).setCleanDataDirectory(true).start(), dataDir, true);
    }

    /**
     * PostgreSQL on {@code port} (0 picks a free one) over the kept data directory {@code dataDir}:
     * initdb only when it holds no cluster yet, else reopened (after a crash, PostgreSQL replays its
     * WAL). Closing it stops the server and keeps the directory. The caller must own {@code dataDir}
     * (see {@link StackDataDir}): any postmaster still running on it was left by a stack that was
     * killed (the server outlives the JVM that started it), and is stopped first; a stale {@code
     * postmaster.pid} whose process is gone is removed. The caller closes it: no shutdown hook of the
     * library's own, which would stop the database while the services are still draining.
     */
    public static EmbeddedPg startKept(int port, Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        stopOrphan(dataDir);
        EmbeddedPostgres pg = builder(port, dataDir)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPGStartupWait(KEPT_STARTUP_WAIT)
                .start();
        return new EmbeddedPg(pg, dataDir, false);
    }

    /**
     * Stops the postmaster named by {@code dataDir/postmaster.pid} if it is alive and serves this
     * directory, else removes the stale file (its pid may since belong to another process, which would
     * make PostgreSQL refuse to start).
     */
    static void stopOrphan(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        long pid;
        try {
            pid = Long.parseLong(lines.isEmpty() ? "" : lines.get(0).trim());
        } catch (NumberFormatException e) {
            Files.deleteIfExists(pidFile);
            return;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(p -> isPostmasterOf(p, dataDir));
        if (h.isEmpty()) {
            System.out.println("removing the stale " + pidFile + " (pid " + pid + " is not its postmaster)");
            Files.deleteIfExists(pidFile);
            return;
        }
        System.out.println("stopping the PostgreSQL (pid " + pid + ") left running on " + dataDir
                + " by a stack that did not stop cleanly");
        ProcessHandle postmaster = h.get();
        // SIGINT is PostgreSQL's fast shutdown: it ends sessions, and checkpoints. SIGTERM (smart) would
        // wait for every client, e.g. a forgotten psql.
        signal("INT", pid);
        try {
            postmaster.onExit().get(ORPHAN_STOP_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // Immediate stop; the next start replays the WAL, as after a crash.
            postmaster.destroyForcibly();
            try {
                postmaster.onExit().get(ORPHAN_STOP_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (Exception again) {
                throw new IOException("the PostgreSQL (pid " + pid + ") on " + dataDir + " does not stop", again);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the PostgreSQL (pid " + pid + ")", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e);
        }
        // A postmaster stopped with SIGKILL leaves its pid file.
        Files.deleteIfExists(pidFile);
    }

    private static boolean isPostmasterOf(ProcessHandle p, Path dataDir) {
        if (!p.isAlive()) {
            return false;
        }
        ProcessHandle.Info info = p.info();
        boolean postgres = info.command().map(c -> c.endsWith("/postgres")).orElse(false);
        String[] args = info.arguments().orElse(new String[0]);
        String abs = dataDir.toAbsolutePath().normalize().toString();
        for (String a : args) {
            if (postgres && Path.of(a).toAbsolutePath().normalize().toString().equals(abs)) {
                return true;
            }
        }
        return false;
    }

    private static void signal(String sig, long pid) throws IOException {
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while signalling " + pid, e);
        }
    }

    private static EmbeddedPostgres.Builder builder(int port, Path dataDir) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(port == 0 ? FreePorts.pick() : port)
                .setDataDirectory(dataDir)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "200")
                .setServerConfig("listen_addresses", "127.0.0.1")
                // Throughput (issue 17, docs/BENCHMARKS.md): PostgreSQL's defaults (128 MB of buffers,
                // a checkpoint every 1 GB of WAL) are sized for a small machine. The payment ids are
                // random, so their index inserts touch every leaf page, and after each checkpoint each
                // page's first change writes a full page image to the WAL. Fewer checkpoints and
                // buffers that hold the hot tables cut that work; durability is unchanged.
                .setServerConfig("shared_buffers", System.getProperty("pg.sharedBuffers", "512MB"))
                .setServerConfig("max_wal_size", System.getProperty("pg.maxWalSize", "8GB"))
                .setServerConfig("checkpoint_timeout", System.getProperty("pg.checkpointTimeout", "15min"));
        // For profiling only (e.g. -Dpg.sharedPreloadLibraries=pg_stat_statements): the binaries ship
        // contrib modules, which must be loaded at server start.
        String preload = System.getProperty("pg.sharedPreloadLibraries", "");
        if (!preload.isBlank()) {
            builder.setServerConfig("shared_preload_libraries", preload);
        }
        return builder;
    }

    public int port() {
        return pg.getPort();
    }

    /**
     * The postmaster's pid, from the data directory's {@code postmaster.pid}, or -1 when the server
     * is not running. Chaos stalls the server through it (SIGSTOP of it and every process under it).
     */
    public long postmasterPid() throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return -1;
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        try {
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            // Being written at this very moment (a start): not running yet.
            return -1;
        }
    }

    /** A libpq-style URI that vertx-pg-client and psql both accept. */
    public String uri() {
        return "postgresql://postgres@127.0.0.1:" + port() + "/postgres";
    }

    @Override
    public void close() throws IOException {
        pg.close();
        if (deleteOnClose) {
            TempDirs.delete(dataDir);
        }
    }
}
