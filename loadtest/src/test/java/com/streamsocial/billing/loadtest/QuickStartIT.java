package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.TenantKeys;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's first command, as a user runs it, with {@code --fresh}: {@code java -jar loadtest.jar
 * stack --fresh} starts everything, serves payments end to end, {@code processor.jar reconcile} then
 * exits 0, and on SIGTERM (Ctrl-C) the stack stops and leaves nothing behind; once with each provider
 * ({@code BILLING_PROVIDER_KIND}: Stripe, the default, and PayPal). (Without {@code --fresh} the stack
 * keeps its data: StackRestartIT.) Ports are free ones here instead of the defaults, so the test never
 * collides with a running stack.
 */
class QuickStartIT {
    @ParameterizedTest(name = "BILLING_PROVIDER_KIND={0}")
    @ValueSource(strings = {"stripe", "paypal"})
    void theStackServesAPaymentEndToEndReconcilesAndStopsCleanly(String providerKind) throws Exception {
        Set<String> before = scratchDirs();
        int gatewayPort = FreePorts.pick();
        // Output to a file: reading a pipe races with the JVM closing it when the process exits.
        Path out = Files.createTempFile("quick-start", ".log");
        Process stack = startStack(providerKind, gatewayPort, out);
        try {
            awaitBanner(stack, out);
            payAndAwaitSuccess(gatewayPort);
            assertThat(lines(out)).anyMatch(l -> l.contains("provider.kind=" + providerKind));
            reconcileFindsTheOnePayment(String.join("\n", lines(out)), providerKind);
        } finally {
            stack.destroy(); // SIGTERM, as Ctrl-C
            assertThat(stack.waitFor(90, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(lines(out)).anyMatch(l -> l.contains("nothing left behind"));
        Set<String> left = scratchDirs();
        left.removeAll(before);
        assertThat(left)
                .as("the broker's and the database's data directories are deleted")
                .isEmpty();
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** {@code java -jar loadtest.jar stack --fresh} with {@code providerKind}, its output to {@code out}. */
    private static Process startStack(String providerKind, int gatewayPort, Path out) throws java.io.IOException {
        Path jar = Path.of(System.getProperty("loadtest.jar", "target/loadtest.jar"))
                .toAbsolutePath();
        ProcessBuilder command = new ProcessBuilder(
                        java(),
                        "-Xmx1g",
                        "-Dstack.kafkaPort=0",
                        "-Dstack.pgPort=0",
                        "-Dstack.sandboxPort=0",
                        "-Dhttp.port=" + gatewayPort,
                        // Not the default 9080, which a running stack may hold.
                        "-Dmanagement.port=" + FreePorts.pick(),
                        "-Dprocessor.httpPort=" + FreePorts.pick(),
                        // No warm-up payments: the reconciliation below counts exactly the one payment.
                        // The warm-up itself is measured by loadtest/bench/yardstick.sh (section first).
                        "-Dstack.warmupSeconds=0",
                        "-jar",
                        jar.toString(),
                        "stack",
                        // Starts empty and deletes everything on exit: what the checks below rely on.
                        "--fresh")
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        command.environment().put("BILLING_PROVIDER_KIND", providerKind);
        return command.start();
    }

    private static List<String> lines(Path out) {
        try {
            return Files.readAllLines(out, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The banner, within 2 minutes: where everything listens, and the development key. */
    private static void awaitBanner(Process stack, Path out) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        // The banner is several lines written one after another: wait for its last marker, not its
        // first (a CI run read "stack is up" while the psql line was half written).
        List<String> markers = List.of("stack is up", "Bearer " + TenantKeys.devKey(), "psql -h 127.0.0.1", "kcat -b");
        while (!containsAll(lines(out), markers) && System.currentTimeMillis() < deadline) {
            assertThat(stack.isAlive()).as(String.join("\n", lines(out))).isTrue();
            Thread.sleep(200);
        }
        assertThat(lines(out)).anyMatch(l -> l.contains("stack is up"));
        assertThat(lines(out)).anyMatch(l -> l.contains("Bearer " + TenantKeys.devKey()));
        assertThat(lines(out)).anyMatch(l -> l.contains("psql -h 127.0.0.1"));
        assertThat(lines(out)).anyMatch(l -> l.contains("kcat -b 127.0.0.1"));
    }

    private static boolean containsAll(List<String> lines, List<String> markers) {
        return markers.stream().allMatch(m -> lines.stream().anyMatch(l -> l.contains(m)));
    }

    /** The README's curl: 202, then {@code succeeded} within a minute. */
    private static void payAndAwaitSuccess(int gatewayPort) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> accepted = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1/payments"))
                        // The local stack's development key (README, Quick start).
                        .header("Authorization", "Bearer " + TenantKeys.devKey())
                        .header("Idempotency-Key", "quick-start-1")
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofString(
                                        "{\"amount\":1999,\"currency\":\"USD\",\"customer_id\":\"cus_42\",\"payment_method\":\"pm_card_visa\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).isEqualTo(202);
        String location = accepted.headers().firstValue("Location").orElseThrow();
        String status = "pending";
        long until = System.currentTimeMillis() + 60_000;
        while (!status.equals("succeeded") && System.currentTimeMillis() < until) {
            Thread.sleep(200);
            status = new JsonObject(http.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + location))
                                            .header("Authorization", "Bearer " + TenantKeys.devKey())
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .getString("status");
        }
        assertThat(status)
                .as("charged through the stack's sandbox and recorded")
                .isEqualTo("succeeded");
    }

    /**
     * The README's reconcile, against this stack's addresses (from its banner), with the same provider
     * kind: it reads that provider's report, finds the one charge, and exits 0.
     */
    private static void reconcileFindsTheOnePayment(String banner, String providerKind) throws Exception {
        Path processorJar = Path.of(System.getProperty("processor.jar", "../processor/target/processor.jar"))
                .toAbsolutePath();
        Path reconcileOut = Files.createTempFile("quick-start-reconcile", ".log");
        ProcessBuilder reconcile = new ProcessBuilder(
                        java(),
                        "-jar",
                        processorJar.toString(),
                        "reconcile",
                        "--kafka",
                        find(banner, "kafka\\s+(127\\.0\\.0\\.1:\\d+)"),
                        "--pg",
                        find(banner, "postgresql\\s+(postgresql://\\S+)"),
                        "--provider",
                        find(banner, "sandbox\\s+(http://localhost:\\d+)"),
                        "--report",
                        Files.createTempFile("quick-start-report", ".json").toString())
                .redirectErrorStream(true)
                .redirectOutput(reconcileOut.toFile());
        reconcile.environment().put("BILLING_PROVIDER_KIND", providerKind);
        Process r = reconcile.start();
        assertThat(r.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String report = Files.readString(reconcileOut);
        assertThat(r.exitValue()).as(report).isZero();
        assertThat(report).containsPattern("source provider\\s+1 records");
    }

    private static String find(String text, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in\n%s", regex, text).isTrue();
        return m.group(1);
    }

    private static Set<String> scratchDirs() throws java.io.IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("billing-kafka-") || n.startsWith("billing-pg-"))
                    .collect(Collectors.toSet());
        }
    }
}
