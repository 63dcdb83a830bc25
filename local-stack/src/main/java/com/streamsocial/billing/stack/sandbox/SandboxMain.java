package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Runs the sandbox provider on its own: {@code sandbox.host} (127.0.0.1), {@code sandbox.port}
 * (8090), {@code sandbox.secretKey} (sk_test_sandbox; environment or file, never {@code -D}), {@code pg.uri} for its durable record, and
 * {@code sandbox.paypalTokenTtlS} (32400: how long a PayPal access token lives), {@code sandbox.faults} as the JSON that {@code POST /sandbox/faults} takes, and the group commit's
 * bounds {@code sandbox.batchChargesMax}, {@code sandbox.queuedChargesMax} and {@code sandbox.lingerMs}
 * (see {@link SandboxProvider.Limits}).
 */
public final class SandboxMain {
    private SandboxMain() {}

    public static void main(String[] args) throws Exception {
        Settings s = Settings.fromEnvironment();
        SandboxProvider sandbox = new SandboxProvider(
                s.string("sandbox.host", "127.0.0.1"),
                s.integer("sandbox.port", 8090),
                s.string("pg.uri", "postgresql://postgres@127.0.0.1:5433/postgres"),
                // Like every secret: from the environment or sandbox.secretKeyFile, never -D.
                java.util.Objects.requireNonNullElse(s.secret("sandbox.secretKey"), "sk_test_sandbox"),
                faults(s),
                limits(s));
        sandbox.setPayPalTokenTtlS(s.integer("sandbox.paypalTokenTtlS", 32_400));
        Vertx vertx = Vertx.vertx();
        vertx.deployVerticle(sandbox).await();
        System.out.println("sandbox provider on port " + sandbox.port());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await(), "sandbox-stop"));
        Thread.currentThread().join();
    }

    public static SandboxProvider.Limits limits(Settings s) {
        SandboxProvider.Limits d = SandboxProvider.Limits.DEFAULT;
        return new SandboxProvider.Limits(
                s.integer("sandbox.batchChargesMax", d.batchChargesMax()),
                s.integer("sandbox.queuedChargesMax", d.queuedChargesMax()),
                s.integer("sandbox.lingerMs", (int) d.lingerMs()));
    }

    public static SandboxFaults faults(Settings s) {
        String json = s.string("sandbox.faults", "");
        return json.isEmpty() ? SandboxFaults.NONE : SandboxFaults.fromJson(new JsonObject(json));
    }
}
