package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 5,000 payments through the real sandbox over HTTP while it loses 10 % of its answers after
 * charging, answers 503 to 5 % of calls and adds latency; the processor JVM is killed with SIGKILL
 * twice and restarted. The provider must hold exactly one charge per accepted payment and nothing
 * else, and the ledger, the outcomes, the provider and reconciliation must all agree.
 */
class ProviderChaosIT {
    private static final int PAYMENTS = 5_000;
    private static ProviderStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(new SandboxFaults(2, 20, 0.05, 0.10, 0, 503));
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    @Test
    void chargesOncePerPaymentThroughLostAnswersErrorsAndTwoKills() throws Exception {
        Map<String, String> props =
                stack.processorSettings(Map.of("processor.instanceId", "chaos", "processor.maxPollRecords", "200"));
        Map<String, String> stalling = new java.util.HashMap<>(props);
        stalling.put("processor.faults.stallOnBatch", "3");
        stalling.put("processor.faults.stallMs", "120000");
        JvmProcess first = ProcessorProcess.start(stalling);
        assertThat(first.awaitLine("processor chaos ready", 60_000)).isTrue();

        CompletableFuture<LoadRunner.Report> load = LoadRunner.run(
                        stack.vertx,
                        new LoadRunner.Options(
                                stack.baseUrl(), PAYMENTS, 0, 0, 32, "chaos-", "pm_card_visa", stack.apiKey))
                .toCompletionStage()
                .toCompletableFuture();

        // Kill 1: charges made and recorded in PostgreSQL, the Kafka transaction held open.
        assertThat(first.awaitLine("FAULT: stalling batch 3", 120_000)).isTrue();
        first.kill();
        // Kill 2: wherever the restarted processor is 2 s in: calling the provider, retrying, recording.
        JvmProcess second = ProcessorProcess.start(props);
        assertThat(second.awaitLine("processor chaos ready", 60_000)).isTrue();
        Thread.sleep(2_000);
        second.kill();
        JvmProcess third = ProcessorProcess.start(props);
        try {
            assertThat(third.awaitLine("processor chaos ready", 60_000)).isTrue();
            LoadRunner.Report report = load.get(10, TimeUnit.MINUTES);
            System.out.println("ProviderChaosIT load: " + report.summary());
            assertThat(report.violations()).isEmpty();
            assertThat(report.accepted()).isEqualTo(PAYMENTS);

            PipelineAssertions.assertExactlyOnce(stack.pg, stack.infra.kafkaBootstrap(), report.ids());

            // Exactly one charge per accepted payment at the provider, and none for anything else.
            JsonObject stats = stack.sandboxStats();
            System.out.println("sandbox: " + stats.encode());
            assertThat(stats.getLong("charges")).isEqualTo(PAYMENTS);
            assertThat(stats.getLong("keys")).isEqualTo(PAYMENTS);
            assertThat(stats.getLong("max_charges_per_key")).isEqualTo(1);
            String ids = "ARRAY['" + String.join("','", report.ids()) + "']";
            assertThat(stack.pg.count("SELECT count(DISTINCT payment_id) FROM sandbox.charges WHERE payment_id = ANY("
                            + ids + ")"))
                    .isEqualTo(PAYMENTS);
            // The ledger names the very charge the provider made for each payment.
            assertThat(stack.pg.count("SELECT count(*) FROM payments p JOIN sandbox.charges c"
                            + " ON c.payment_id = p.payment_id AND c.id = p.provider_ref WHERE p.status = 'succeeded'"))
                    .isEqualTo(PAYMENTS);
            // The faults really happened: the sandbox lost answers after charging, and each lost
            // answer was recovered by a retry under the same key that the sandbox replayed (a second
            // charge instead would have failed the per-key count above).
            long dropped = stats.getLong("answers_dropped");
            assertThat(dropped).as("answers lost after charging").isPositive();
            assertThat(stats.getLong("replays")).as("idempotent replays").isGreaterThanOrEqualTo(dropped);
            assertThat(stats.getLong("answers_dropped_then_replayed"))
                    .as("every lost answer was asked for again under its key and replayed")
                    .isEqualTo(dropped);

            var rec = stack.reconcile(false, 0);
            System.out.println(rec.table());
            assertThat(rec.total()).isZero();
        } finally {
            third.kill();
        }
    }
}
