package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.contract.Settings;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar loadtest.jar [stack|load]}. {@code stack} (the default) runs the whole pipeline on
 * embedded defaults; {@code load} drives a running gateway, configured by {@code -Dload.*} properties.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "stack" : args[0];
        switch (command) {
            case "stack" -> BillingStack.main(args);
            case "load" -> load(Settings.fromEnvironment());
            default -> {
                System.err.println("usage: java -jar loadtest.jar [stack|load]");
                System.exit(2);
            }
        }
    }

    private static void load(Settings s) throws Exception {
        LoadRunner.Options o = new LoadRunner.Options(
                s.string("load.url", "http://127.0.0.1:8080"),
                s.integer("load.payments", 10_000),
                s.integer("load.sequentialRetries", 0),
                s.integer("load.concurrentRetries", 0),
                s.integer("load.concurrency", 64),
                s.string("load.keyPrefix", "load-" + System.currentTimeMillis() + "-"),
                s.string("load.paymentMethod", "pm_card_visa"));
        Vertx vertx = Vertx.vertx();
        try {
            LoadRunner.Report r = LoadRunner.run(vertx, o)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.MINUTES);
            System.out.println(r.summary());
            r.violations().stream().limit(20).forEach(v -> System.out.println("violation: " + v));
            System.exit(r.violations().isEmpty() ? 0 : 1);
        } finally {
            vertx.close();
        }
    }
}
