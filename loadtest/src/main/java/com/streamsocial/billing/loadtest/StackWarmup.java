package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.loadtest.harness.Mix;
import com.streamsocial.billing.loadtest.harness.OpenLoop;
import com.streamsocial.billing.loadtest.harness.OutcomeCounter;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.Vertx;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Warms a freshly started stack before it reports ready: real payments of a tenant of its own
 * ({@link #TENANT}, with a key made for the warm-up and revoked after it) through the gateway, Kafka,
 * the processor, the sandbox and PostgreSQL, at a rising rate, until every one is decided.
 *
 * <p>Why: the stack is one JVM holding a broker, two services, a provider and their clients. Cold,
 * its JIT compilers used about half of both cores for the first minute (27 s of C1 and C2 CPU in the
 * first 40 s under 500 payments/s), and the README's first load run answered at 15 s medians. The
 * warm-up spends that CPU before the banner instead of during the user's first run. Its payments stay
 * in the ledger, the log and the sandbox, like any other, under tenant {@code warmup}.
 */
final class StackWarmup {
    static final String TENANT = "warmup";
    /** Seconds of warm-up load at most; {@code stack.warmupSeconds} sets it, 0 skips the warm-up. */
    static final int SECONDS_MAX = 600;
    /** The load runs in rounds of this length, until the JIT is quiet or the seconds are spent. */
    static final double ROUND_SECONDS = 5;
    /**
     * The JIT counts as quiet when it compiled for less than this share of a round: C2 kept compiling
     * for a minute under load, so a fixed short warm-up left most of its work to the user's first run.
     */
    static final double QUIET_COMPILE_SHARE = 0.05;
    /** The warm-up's rate once it has ramped up: high enough for the hot paths, below the stack's ceiling. */
    static final double RATE_PER_S = 1_000;
    /** How long to wait, after the load, for the last outcomes. */
    static final long OUTCOMES_WAIT_MS = 60_000;

    private StackWarmup() {}

    /** Runs the warm-up against the stack's gateway; returns a one-line summary. */
    static String run(String gatewayUrl, String kafkaBootstrap, String pgUri, int seconds) throws Exception {
        if (seconds <= 0 || seconds > SECONDS_MAX) {
            throw new IllegalArgumentException("stack.warmupSeconds must be 0.." + SECONDS_MAX + ", got " + seconds);
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String key = "sk_test_warmup_" + HexFormat.of().formatHex(secret);
        String keyId = TenantKeys.ensure(pgUri, TENANT, key);
        Vertx vertx = Vertx.vertx();
        OutcomeCounter outcomes = OutcomeCounter.start(kafkaBootstrap);
        long t0 = System.nanoTime();
        try (OpenLoop loop = new OpenLoop(
                vertx,
                new OpenLoop.Options(
                        URI.create(gatewayUrl),
                        64,
                        8_192,
                        Mix.parse(Mix.DEFAULT),
                        Main.defaultKeyPrefix(TENANT, System.currentTimeMillis()),
                        TENANT,
                        1,
                        key),
                outcomes)) {
            loop.preflight().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            // A gentle first round, then the full rate until the JIT is quiet: the cold stack is slow at first.
            phase(loop, RATE_PER_S / 5, Math.min(ROUND_SECONDS, seconds));
            java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
            double spent = ROUND_SECONDS;
            while (spent < seconds) {
                long compiledMs = jit.getTotalCompilationTime();
                double round = Math.min(ROUND_SECONDS, seconds - spent);
                phase(loop, RATE_PER_S, round);
                spent += round;
                if (jit.getTotalCompilationTime() - compiledMs < round * 1000 * QUIET_COMPILE_SHARE) {
                    break;
                }
            }
            long deadline = System.currentTimeMillis() + OUTCOMES_WAIT_MS;
            while (loop.lag() > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            return String.format(
                    "warm-up: %d payments of tenant %s in %.1f s, %d without an outcome yet (stack.warmupSeconds=0 skips it)",
                    loop.accepted(), TENANT, (System.nanoTime() - t0) / 1e9, Math.max(0, loop.lag()));
        } finally {
            TenantKeys.revoke(pgUri, keyId);
            outcomes.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static void phase(OpenLoop loop, double rate, double seconds) throws Exception {
        if (seconds <= 0) {
            return;
        }
        loop.runPhase(rate, seconds, line -> {}, new ArrayList<>())
                .toCompletionStage()
                .toCompletableFuture()
                .get((long) (seconds * 1000) + OpenLoop.REQUEST_TIMEOUT_MS + 60_000, TimeUnit.MILLISECONDS);
    }
}
