package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.stack.EmbeddedPg;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@code postgres} faults of a chaos run on its PostgreSQL server: a stall (SIGSTOP of the
 * postmaster and every process under it, then SIGCONT), and the SIGKILL of one backend, never the
 * postmaster. A killed backend makes PostgreSQL end every session and restart itself, as after any
 * backend crash: every lease session goes with it. Whatever it stopped, {@link #resume} continues,
 * and a run must call it before it stops the server.
 */
final class PostgresFaults {
    /** Longest wait for one query of this class (it runs only while the server is not stopped). */
    private static final long QUERY_TIMEOUT_MS = 10_000;
    /** Longest wait for {@code kill} itself. */
    private static final long SIGNAL_TIMEOUT_MS = 10_000;

    private final Vertx vertx;
    private final EmbeddedPg pg;
    private final PgConnectOptions connect;
    /** Every pid stopped and not yet continued (SIGCONT goes to these and to any process found now). */
    private final Set<Long> stopped = new LinkedHashSet<>();

    PostgresFaults(Vertx vertx, EmbeddedPg pg) {
        this.vertx = vertx;
        this.pg = pg;
        this.connect = PgConnectOptions.fromUri(pg.uri());
    }

    /** The postmaster and every process under it; empty when the server is not running. */
    List<Long> processes() throws IOException {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pg.postmasterPid()).ifPresent(p -> {
            pids.add(p.pid());
            p.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** SIGSTOP to every process of the server; returns how many were stopped. */
    synchronized int stop() throws IOException, InterruptedException {
        List<Long> pids = processes();
        if (pids.isEmpty()) {
            throw new IllegalStateException("no PostgreSQL process to stop");
        }
        stopped.addAll(pids);
        signal("STOP", pids);
        return pids.size();
    }

    /** SIGCONT to every process stopped and to every process of the server now; safe to repeat. */
    synchronized void resume() throws IOException, InterruptedException {
        Set<Long> pids = new LinkedHashSet<>(stopped);
        pids.addAll(processes());
        pids.removeIf(pid -> ProcessHandle.of(pid).isEmpty());
        signal("CONT", List.copyOf(pids));
        stopped.clear();
    }

    /** A backend process and whose session it serves (its application_name). */
    record Backend(long pid, String session) {}

    /**
     * The backend of the lease session of {@code role} {@code instanceId} running as {@code servicePid}
     * (its application_name, InstanceLease's label), else of any gateway's or processor's lease
     * session (the one named is restarting), else null.
     */
    Backend leaseBackend(String role, String instanceId, long servicePid) throws java.util.concurrent.TimeoutException {
        String exact = "billing " + role + " " + instanceId + " pid " + servicePid + "@%";
        return query(
                        "SELECT pid, application_name FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                + " AND pid <> pg_backend_pid() AND application_name LIKE ANY($1)"
                                + " ORDER BY application_name LIKE $2 DESC, pid LIMIT 1",
                        Tuple.of(new String[] {exact, "billing gateway %", "billing processor %"}, exact))
                .map(rows -> rows.isEmpty()
                        ? null
                        : new Backend(rows.get(0).getInteger(0), rows.get(0).getString(1)))
                .await(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /** SIGKILL of backend {@code pid}; refused for the postmaster and for a pid not under it. */
    void killBackend(long pid) throws IOException, InterruptedException {
        long postmaster = pg.postmasterPid();
        boolean child = ProcessHandle.of(pid)
                .flatMap(ProcessHandle::parent)
                .map(p -> p.pid() == postmaster)
                .orElse(false);
        if (pid == postmaster || !child) {
            throw new IllegalArgumentException(pid + " is not a backend of the postmaster " + postmaster);
        }
        signal("KILL", List.of(pid));
    }

    /** Whether a fresh session answers {@code SELECT 1} now (after a crash restart, once recovered). */
    boolean answers() {
        try {
            return query("SELECT 1", Tuple.tuple())
                    .map(rows -> rows.size() == 1)
                    .await(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // Still restarting (connection refused, or "the database system is in recovery mode").
            return false;
        }
    }

    /** One statement on a session of its own (a pooled one may be a session the server has ended). */
    private Future<List<Row>> query(String sql, Tuple args) {
        return PgConnection.connect(vertx, connect)
                .compose(c -> c.preparedQuery(sql)
                        .execute(args)
                        .map(rows -> {
                            List<Row> out = new ArrayList<>();
                            rows.forEach(out::add);
                            return out;
                        })
                        .eventually(c::close));
    }

    private static void signal(String sig, List<Long> pids) throws IOException, InterruptedException {
        if (pids.isEmpty()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(SIGNAL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("kill -" + sig + " did not return within " + SIGNAL_TIMEOUT_MS + " ms");
        }
        // A process that ended meanwhile makes kill exit 1; the others were signalled all the same.
    }
}
