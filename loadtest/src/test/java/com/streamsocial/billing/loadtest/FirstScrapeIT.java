package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.stack.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fresh local stack ({@link BillingStack}, as {@code loadtest.jar stack --fresh} runs it: a real
 * Kafka broker, a real PostgreSQL, the sandbox provider, the gateway and the processor), scraped
 * before any payment: every metric that {@code docs/grafana-dashboard.json}, the alert rules of
 * {@code docs/prometheus-rules.yml} and the {@code promql} blocks of {@code docs/OPERATIONS.md} name
 * is there, so that {@code increase()} and {@code rate()} see each first event and the dashboard shows
 * 0 rather than "No data". Each scrape passes {@code promtool check metrics}.
 */
class FirstScrapeIT {
    /**
     * How long to wait for the series that a fresh stack makes on its own, without a payment: the
     * consumer's lag per partition (seen by the metrics refresh every 10 s once the partitions are
     * fetched) and Vert.x's request series of the scrapes themselves.
     */
    private static final Duration SETTLE = Duration.ofSeconds(45);

    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static BillingStack stack;
    private static int gatewayPort;
    /** The gateway's management listener: its metrics are there, not on the API's port. */
    private static int managementPort;

    private static int processorPort;

    @BeforeAll
    static void start() throws Exception {
        gatewayPort = FreePorts.pick();
        managementPort = FreePorts.pick();
        processorPort = FreePorts.pick();
        // The stack's own settings, on free ports (never the defaults a running stack may hold).
        stack = BillingStack.start(Settings.of(Map.of(
                "stack.kafkaPort",
                "0",
                "stack.pgPort",
                "0",
                "stack.sandboxPort",
                "0",
                "http.port",
                String.valueOf(gatewayPort),
                "management.port",
                String.valueOf(managementPort),
                "processor.httpPort",
                String.valueOf(processorPort))));
        awaitReady(gatewayPort);
        awaitReady(processorPort);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsNameExistsBeforeAnyPayment() throws Exception {
        Map<String, Set<String>> usedBy = namesUsed();
        // The extraction found what the documents hold: a broken parse must not pass as "all present".
        assertThat(usedBy)
                .containsKeys(
                        "processor_dead_letters_total",
                        "gateway_transactions_aborted_total",
                        "provider_request_seconds_bucket",
                        "kafka_consumer_fetch_manager_records_lag");
        assertThat(usedBy.size()).isGreaterThanOrEqualTo(30);

        // The series the services define are registered at start: all of them on the very first scrape.
        Scrapes s = scrapeBoth();
        Set<String> ours = new TreeSet<>(usedBy.keySet());
        ours.removeIf(n -> !isOurs(n));
        assertThat(ours).contains("processor_dead_letters_total", "gateway_payments_conflicts_total");
        assertNoneMissing("the first scrapes", missing(ours, s), usedBy);
        // The others (Kafka's lag per partition, Vert.x's and the JVM's series) come by themselves.
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Set<String> missing = missing(usedBy.keySet(), s);
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            s = scrapeBoth();
            missing = missing(usedBy.keySet(), s);
        }
        assertNoneMissing("the scrapes of " + SETTLE.toSeconds() + " s without a payment", missing, usedBy);
        // Before any payment indeed: nothing was accepted nor processed.
        assertThat(MetricsIT.value(s.gateway, "gateway_payments_accepted_total"))
                .isZero();
        assertThat(MetricsIT.value(s.processor, "processor_records_total")).isZero();
        for (String scrape : List.of(s.gateway, s.processor)) {
            Promtool.Result r = Promtool.run(scrape, "check", "metrics");
            assertThat(r.exit()).as("promtool check metrics: %s", r.output()).isZero();
            assertThat(r.output()).isBlank();
        }
    }

    private static void assertNoneMissing(String when, Set<String> missing, Map<String, Set<String>> usedBy) {
        String report = missing.stream()
                .map(n -> n + "  (used by " + String.join("; ", usedBy.get(n)) + ")")
                .collect(Collectors.joining("\n  "));
        assertThat(missing)
                .as("series absent from %s of a fresh stack (see target/first-scrape-*.txt):\n  %s", when, report)
                .isEmpty();
    }

    /** Each metric name any document uses, with where it is used. */
    private static Map<String, Set<String>> namesUsed() throws Exception {
        List<MonitoringDocs.Expr> all = new ArrayList<>(MonitoringDocs.dashboard());
        all.addAll(MonitoringDocs.ruleExprs());
        all.addAll(MonitoringDocs.operations());
        Map<String, Set<String>> usedBy = new LinkedHashMap<>();
        for (MonitoringDocs.Expr e : all) {
            for (String name : PromqlNames.of(e.promql())) {
                usedBy.computeIfAbsent(name, k -> new LinkedHashSet<>()).add(e.where());
            }
        }
        return usedBy;
    }

    /** The two services' scrapes, taken one after the other. */
    private record Scrapes(String gateway, String processor) {}

    private static Scrapes scrapeBoth() throws Exception {
        return new Scrapes(scrape(managementPort, "gateway"), scrape(processorPort, "processor"));
    }

    /**
     * The names in {@code wanted} that no scrape has, each where it must be: ours by their prefix in
     * their own service's scrape, any other (JVM, Vert.x) in either.
     */
    private static Set<String> missing(Set<String> wanted, Scrapes s) {
        Set<String> gateway = names(s.gateway);
        Set<String> processor = names(s.processor);
        Set<String> missing = new TreeSet<>();
        for (String name : wanted) {
            boolean present = name.startsWith("gateway_")
                    ? gateway.contains(name)
                    : isProcessors(name)
                            ? processor.contains(name)
                            : gateway.contains(name) || processor.contains(name);
            if (!present) {
                missing.add(name);
            }
        }
        return missing;
    }

    /** A meter the gateway or the processor defines (not Kafka's, Vert.x's or the JVM's). */
    private static boolean isOurs(String name) {
        return name.startsWith("gateway_") || (isProcessors(name) && !name.startsWith("kafka_"));
    }

    private static boolean isProcessors(String name) {
        return name.startsWith("processor_")
                || name.startsWith("provider_")
                || name.startsWith("reconciliation_")
                || name.startsWith("kafka_consumer_");
    }

    /** The metric names of a scrape's samples, as written ({@code _bucket}, {@code _total} and all). */
    private static Set<String> names(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    private static String scrape(int port, String service) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        // Kept for whoever reads a failure.
        Files.writeString(Path.of("target", "first-scrape-" + service + ".txt"), r.body());
        return r.body();
    }

    private static void awaitReady(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not ready on :" + port + " after 90 s: " + last);
    }
}
