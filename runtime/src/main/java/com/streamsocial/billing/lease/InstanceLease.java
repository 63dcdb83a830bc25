package com.streamsocial.billing.lease;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exclusive right of one live process to run as one instance id ({@code gateway}/{@code
 * gateway-1}): a PostgreSQL session-level advisory lock, held on a dedicated connection for the life
 * of the process. Taken before anything that could fence another process (Kafka's
 * {@code initTransactions}, a consumer's {@code group.instance.id}), so a mistaken second start is
 * refused instead of taking over a live instance.
 *
 * <p>The lock lapses when its session ends: at once when the holder dies on its host (the kernel
 * closes the socket, the backend sees end-of-file and exits), within {@link #SERVER_LAPSE_MAX_S} when
 * the holder's host or network dies (server-side TCP keepalives and {@code tcp_user_timeout}, {@link
 * #SESSION_SETTINGS}). The holder checks every {@link #HEARTBEAT_INTERVAL_MS} that its session still
 * holds the lock, as the state machine {@link LeaseCheck} decides: a check without an answer within
 * {@link #HEARTBEAT_TIMEOUT_MS} makes the lease {@link LeaseCheck.State#SUSPECT} (a stalled database
 * keeps the session, and the lock, alive: the process takes no new work and keeps checking); an
 * answer makes it HELD again; a closed connection, a lock gone, or a lock unconfirmed for {@link
 * LeaseCheck#UNCONFIRMED_MAX_MS} makes it {@link LeaseCheck.State#LOST}, and the {@link #onLost}
 * handlers run, before the server would let another process take it.
 *
 * <p>A plain vertx-pg-client connection, not the pools: the lock belongs to one session, and a pool
 * would recycle it. It needs a direct session (no transaction-mode PgBouncer in between).
 */
public final class InstanceLease {
    private static final Logger log = LoggerFactory.getLogger(InstanceLease.class);

    /** How long a start waits for the lock: covers a killed holder whose backend has not exited yet. */
    public static final long ACQUIRE_WAIT_MS = 5_000;

    private static final long ACQUIRE_RETRY_MS = 250;
    public static final long HEARTBEAT_INTERVAL_MS = 2_000;
    public static final long HEARTBEAT_TIMEOUT_MS = 5_000;

    /** Server side, per session: first keepalive after this idle time, then one per interval. */
    static final int SERVER_KEEPALIVE_IDLE_S = 10;

    static final int SERVER_KEEPALIVE_INTERVAL_S = 5;
    static final int SERVER_KEEPALIVE_COUNT = 3;

    /** Unacknowledged data (an answer to a dead host) also ends the session after this long. */
    static final int SERVER_TCP_USER_TIMEOUT_MS = 25_000;

    /**
     * What the lease's session sets before it takes the lock, in order ({@link #sessionSetup}): they
     * decide how long the server keeps the lock of a holder whose host or network died.
     */
    public static final Map<String, Integer> SESSION_SETTINGS = sessionSettings();

    /**
     * The longest the server keeps the lock of a holder whose host or network died, from {@link
     * #SESSION_SETTINGS}: idle plus count times interval, and at least the user timeout. A holder
     * loses its lease (and stops) after at most {@link LeaseCheck#UNCONFIRMED_MAX_MS}, before that.
     */
    public static final int SERVER_LAPSE_MAX_S = serverLapseMaxS(SESSION_SETTINGS);

    private static Map<String, Integer> sessionSettings() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("tcp_keepalives_idle", SERVER_KEEPALIVE_IDLE_S);
        m.put("tcp_keepalives_interval", SERVER_KEEPALIVE_INTERVAL_S);
        m.put("tcp_keepalives_count", SERVER_KEEPALIVE_COUNT);
        m.put("tcp_user_timeout", SERVER_TCP_USER_TIMEOUT_MS);
        return Collections.unmodifiableMap(m);
    }

    /** The seconds after which a server with these session settings ends a silent peer's session. */
    static int serverLapseMaxS(Map<String, Integer> settings) {
        int keepalivesS = settings.get("tcp_keepalives_idle")
                + settings.get("tcp_keepalives_count") * settings.get("tcp_keepalives_interval");
        return Math.max(keepalivesS, settings.get("tcp_user_timeout") / 1_000);
    }

    /** The statements that give the session {@code settings}. */
    static String sessionSetup(Map<String, Integer> settings) {
        StringBuilder sql = new StringBuilder();
        settings.forEach((name, value) ->
                sql.append("SET ").append(name).append(" = ").append(value).append("; "));
        return sql.toString().strip();
    }

    private final Vertx vertx;
    private final PgConnection conn;
    private final String name;
    private final long key;
    private final List<Handler<Throwable>> lostHandlers = new ArrayList<>();
    /** Every change of state goes through it, under this object's lock. */
    private final LeaseCheck check;
    /** A copy of {@code check}'s state for readers on any thread (every request reads it). */
    private volatile LeaseCheck.State state = LeaseCheck.State.HELD;

    private Throwable lostCause;
    private long timerId = -1;
    /** When the check in flight was sent, or -1: one at a time, so a stall queues no pile of them. */
    private long checkSentAtMs = -1;

    private InstanceLease(Vertx vertx, PgConnection conn, String name, long key, long confirmedSentAtMs) {
        this.vertx = vertx;
        this.conn = conn;
        this.name = name;
        this.key = key;
        this.check = new LeaseCheck(confirmedSentAtMs);
    }

    /**
     * Takes the lease of {@code role}/{@code instanceId}, or fails with {@link LeaseHeldException}
     * when another live session holds it after {@link #ACQUIRE_WAIT_MS}.
     */
    public static Future<InstanceLease> acquire(Vertx vertx, String pgUri, String role, String instanceId) {
        return acquire(vertx, com.streamsocial.billing.config.PgUri.connectOptions(pgUri), role, instanceId);
    }

    /** As above, with connect options (a password from the environment or a file, not the URI). */
    public static Future<InstanceLease> acquire(Vertx vertx, PgConnectOptions connect, String role, String instanceId) {
        String name = role + ".instanceId=" + instanceId;
        long key = key(role, instanceId);
        return vertx.executeBlocking(InstanceLease::hostName)
                .compose(host -> {
                    // Shown to a refused second start through pg_stat_activity (truncated at 63 bytes).
                    String label = "billing " + role + " " + instanceId + " pid "
                            + ProcessHandle.current().pid() + "@" + host;
                    return PgConnection.connect(
                            vertx, new PgConnectOptions(connect).addProperty("application_name", label));
                })
                .compose(conn -> conn.query(sessionSetup(SESSION_SETTINGS))
                        .execute()
                        .compose(ignored -> tryLock(vertx, conn, key, System.currentTimeMillis() + ACQUIRE_WAIT_MS)
                                .map(locked -> locked ? nowMs() : -1L))
                        .compose(
                                lockedSentAtMs -> lockedSentAtMs >= 0
                                        ? Future.succeededFuture(
                                                new InstanceLease(vertx, conn, name, key, lockedSentAtMs).start())
                                        : holder(conn, key)
                                                .eventually(conn::close)
                                                .compose(h -> Future.failedFuture(new LeaseHeldException(name, h))),
                                e -> conn.close().transform(ignored -> Future.failedFuture(e))));
    }

    /** A 64-bit advisory-lock key for ({@code role}, {@code instanceId}): SHA-256, first 8 bytes. */
    public static long key(String role, String instanceId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(("streamsocial-billing/" + role + "/" + instanceId).getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) {
                k = (k << 8) | (d[i] & 0xff);
            }
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static Future<Boolean> tryLock(Vertx vertx, PgConnection conn, long key, long deadlineMs) {
        return conn.preparedQuery("SELECT pg_try_advisory_lock($1)")
                .execute(Tuple.of(key))
                .compose(rows -> {
                    if (rows.iterator().next().getBoolean(0)) {
                        return Future.succeededFuture(true);
                    }
                    if (System.currentTimeMillis() >= deadlineMs) {
                        return Future.succeededFuture(false);
                    }
                    Promise<Boolean> later = Promise.promise();
                    vertx.setTimer(
                            ACQUIRE_RETRY_MS,
                            id -> tryLock(vertx, conn, key, deadlineMs).onComplete(later));
                    return later.future();
                });
    }

    /** Who holds the lock, as far as PostgreSQL shows it; best effort. */
    private static Future<String> holder(PgConnection conn, long key) {
        return conn.preparedQuery("SELECT a.application_name, host(a.client_addr), a.backend_start::text"
                        + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                        + " AND l.classid::bigint = $1 AND l.objid::bigint = $2")
                .execute(Tuple.of(key >>> 32, key & 0xffff_ffffL))
                .map(InstanceLease::describeHolder)
                .otherwise(e -> "unknown (" + e.getMessage() + ")");
    }

    private static String describeHolder(RowSet<Row> rows) {
        if (rows.size() == 0) {
            return "unknown (it just let go: retry)";
        }
        Row r = rows.iterator().next();
        return "'" + r.getString(0) + "' connected from " + r.getString(1) + " since " + r.getString(2);
    }

    private InstanceLease start() {
        conn.closeHandler(v -> apply(c -> c.closed(null)));
        conn.exceptionHandler(e -> log.warn("lease connection of {}: {}", name, e.toString()));
        timerId = vertx.setPeriodic(HEARTBEAT_INTERVAL_MS, id -> heartbeat());
        log.info("{} leased (advisory lock {})", name, key);
        return this;
    }

    /**
     * Asks the session whether it still holds the lock. While an earlier check is unanswered, only
     * the clock moves: a stalled database gets no queue of checks, and the bound still applies.
     */
    private void heartbeat() {
        long sentAtMs = nowMs();
        long inFlightSentAtMs;
        synchronized (this) {
            if (finished()) {
                return;
            }
            inFlightSentAtMs = checkSentAtMs;
            if (inFlightSentAtMs < 0) {
                checkSentAtMs = sentAtMs;
            }
        }
        if (inFlightSentAtMs >= 0) {
            long waitedMs = sentAtMs - inFlightSentAtMs;
            apply(c -> waitedMs >= HEARTBEAT_TIMEOUT_MS
                    ? c.unanswered("no answer for " + waitedMs + " ms", nowMs())
                    : c.tick(nowMs()));
            return;
        }
        vertx.setTimer(HEARTBEAT_TIMEOUT_MS, id -> unansweredAfterTimeout(sentAtMs));
        conn.preparedQuery("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'"
                        + " AND granted AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2")
                .execute(Tuple.of(key >>> 32, key & 0xffff_ffffL))
                .onComplete(ar -> {
                    synchronized (this) {
                        checkSentAtMs = -1;
                    }
                    if (ar.failed()) {
                        // An error on a connection that stays open proves nothing either way.
                        apply(c -> c.unanswered(ar.cause().toString(), nowMs()));
                    } else {
                        boolean held = ar.result().iterator().next().getLong(0) == 1L;
                        apply(c -> c.answered(sentAtMs, held, nowMs()));
                    }
                });
    }

    private void unansweredAfterTimeout(long sentAtMs) {
        synchronized (this) {
            if (checkSentAtMs != sentAtMs) {
                return; // answered meanwhile
            }
        }
        apply(c -> c.unanswered("no answer within " + HEARTBEAT_TIMEOUT_MS + " ms", nowMs()));
    }

    /** Feeds one event to the state machine, then acts on a change: logs it, and stops on LOST. */
    private void apply(java.util.function.Function<LeaseCheck, LeaseCheck.State> event) {
        LeaseCheck.State before;
        LeaseCheck.State after;
        List<Handler<Throwable>> handlers = List.of();
        synchronized (this) {
            before = check.state();
            after = event.apply(check);
            state = after;
            if (after == LeaseCheck.State.LOST && before != LeaseCheck.State.LOST) {
                lostCause = new IllegalStateException(check.reason());
                handlers = List.copyOf(lostHandlers);
                lostHandlers.clear();
            }
        }
        if (after == before) {
            return;
        }
        switch (after) {
            case SUSPECT ->
                log.warn(
                        "{} lease SUSPECT: {}; taking no new work, still checking (LOST after {} ms unconfirmed)",
                        name,
                        check.reason(),
                        LeaseCheck.UNCONFIRMED_MAX_MS);
            case HELD -> log.info("{} lease HELD again: the lock is confirmed", name);
            case LOST -> {
                vertx.cancelTimer(timerId);
                log.error("{} lease LOST: {}; this process must stop", name, lostCause.getMessage());
                conn.close();
                Throwable cause = lostCause;
                handlers.forEach(h -> h.handle(cause));
            }
            case RELEASED -> {}
        }
    }

    private synchronized boolean finished() {
        return state == LeaseCheck.State.LOST || state == LeaseCheck.State.RELEASED;
    }

    /** Runs {@code handler} when the lease is lost; at once if it already is. */
    public void onLost(Handler<Throwable> handler) {
        Throwable cause;
        synchronized (this) {
            cause = lostCause;
            if (cause == null) {
                lostHandlers.add(handler);
                return;
            }
        }
        handler.handle(cause);
    }

    /** HELD, SUSPECT (take no new work), LOST (stop) or RELEASED; readable from any thread. */
    public LeaseCheck.State state() {
        return state;
    }

    /** Why the lease is SUSPECT or LOST, or null while HELD. */
    public synchronized String reason() {
        return check.reason();
    }

    /** {@code gateway.instanceId=gateway-1}. */
    public String name() {
        return name;
    }

    /** Lets go: closing the session releases the lock. Call after everything it guards has stopped. */
    public Future<Void> release() {
        synchronized (this) {
            if (state == LeaseCheck.State.RELEASED) {
                return Future.succeededFuture();
            }
            state = check.release();
        }
        vertx.cancelTimer(timerId);
        return conn.close().otherwiseEmpty();
    }

    /** Monotonic: a wall-clock step must not make a lock look confirmed, or unconfirmed for long. */
    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }
}
