package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The processor, in its own JVM, is killed with SIGKILL twice while payments flow: once exactly
 * between its PostgreSQL commit and its Kafka commit (it holds that point on a fault hook), once at
 * an arbitrary moment. After restarts, the exactly-once counts must hold as if nothing happened.
 */
class ProcessorCrashIT {
    private static ProviderStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    private static Map<String, String> processorProps(int httpPort) {
        return stack.processorSettings(Map.of(
                "processor.instanceId", "crash-test",
                "processor.httpPort", String.valueOf(httpPort),
                "processor.maxPollRecords", "200",
                "provider.kind", "approve-all"));
    }

    @Test
    void killedMidBatchAndRestartedTheCountsStillHold() throws Exception {
        Map<String, String> stalling = processorProps(FreePorts.pick());
        stalling.put("processor.faults.stallOnBatch", "5");
        stalling.put("processor.faults.stallMs", "120000");
        ProcessorProcess first = ProcessorProcess.start(stalling);
        assertThat(first.awaitLine("processor crash-test ready", 60_000)).isTrue();

        CompletableFuture<LoadRunner.Report> load = LoadRunner.run(
                        stack.vertx,
                        new LoadRunner.Options(stack.baseUrl(), 10_000, 1_000, 1_000, 32, "crash-", "pm_card_visa"))
                .toCompletionStage()
                .toCompletableFuture();

        // Kill 1: the processor has committed batch 5 to PostgreSQL and holds its Kafka transaction open.
        assertThat(first.awaitLine("FAULT: stalling batch 5", 120_000)).isTrue();
        first.kill();
        assertThat(first.exitCode()).isEqualTo(137);

        // Kill 2: a restarted processor, killed at whatever point it has reached 1.5 s in.
        ProcessorProcess second = ProcessorProcess.start(processorProps(FreePorts.pick()));
        assertThat(second.awaitLine("processor crash-test ready", 60_000)).isTrue();
        Thread.sleep(1_500);
        assertThat(load.isDone())
                .as("payments still flowing at the second kill")
                .isFalse();
        second.kill();

        int metricsPort = FreePorts.pick();
        ProcessorProcess third = ProcessorProcess.start(processorProps(metricsPort));
        try {
            assertThat(third.awaitLine("processor crash-test ready", 60_000)).isTrue();
            LoadRunner.Report report = load.get(10, TimeUnit.MINUTES);
            System.out.println("ProcessorCrashIT load: " + report.summary());
            assertThat(report.violations()).isEmpty();
            assertThat(report.accepted()).isEqualTo(10_000);

            PipelineAssertions.assertExactlyOnce(stack.pg, stack.infra.kafkaBootstrap(), report.ids());
            // The batch held at kill 1 was stored in PostgreSQL but not committed to Kafka: its
            // outcomes must have been re-emitted from the ledger, not re-processed.
            HttpResponse<String> metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            long reEmitted = metrics.body()
                    .lines()
                    .filter(l -> l.startsWith("processor_outcomes_reemitted_total "))
                    .mapToLong(
                            l -> Long.parseLong(l.substring(l.indexOf(' ') + 1).trim()))
                    .sum();
            assertThat(reEmitted).as("outcomes re-emitted after the kills").isPositive();
        } finally {
            third.kill();
        }
    }
}
