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

    /** processor_outcomes_emitted_total from the processor's metrics, or -1 if it cannot be read. */
    private static long outcomes(String url) {
        try {
            String body = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
            return body.lines()
                    .filter(l -> l.startsWith("processor_outcomes_emitted_total "))
                    .mapToLong(
                            l -> Long.parseLong(l.substring(l.indexOf(' ') + 1).trim()))
                    .sum();
        } catch (Exception e) {
            return -1;
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
        String processorMetrics = s.string("load.processorMetricsUrl", "http://127.0.0.1:8081/metrics");
        boolean awaitProcessed = s.bool("load.awaitProcessed", true);
        Vertx vertx = Vertx.vertx();
        try {
            long before = awaitProcessed ? outcomes(processorMetrics) : 0;
            long t0 = System.nanoTime();
            LoadRunner.Report r = LoadRunner.run(vertx, o)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.MINUTES);
            System.out.println(r.summary());
            if (awaitProcessed && before >= 0) {
                // End to end: from the first request to the last outcome the processor committed.
                long deadline = System.currentTimeMillis() + 600_000;
                long done = outcomes(processorMetrics) - before;
                while (done < o.payments() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                    done = outcomes(processorMetrics) - before;
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf(
                        "processed: %d outcomes in %d ms = %.0f payments/s end to end%n", done, ms, done * 1000.0 / ms);
            }
            r.violations().stream().limit(20).forEach(v -> System.out.println("violation: " + v));
            System.exit(r.violations().isEmpty() ? 0 : 1);
        } finally {
            vertx.close();
        }
    }
}
