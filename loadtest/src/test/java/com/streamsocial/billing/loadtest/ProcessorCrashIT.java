package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
        JvmProcess first = ProcessorProcess.start(stalling);
        assertThat(first.awaitLine("processor crash-test ready", 60_000)).isTrue();

        CompletableFuture<LoadRunner.Report> load = LoadRunner.run(
                        stack.vertx,
                        new LoadRunner.Options(
                                stack.baseUrl(), 10_000, 1_000, 1_000, 32, "crash-", "pm_card_visa", stack.apiKey))
                .toCompletionStage()
                .toCompletableFuture();

        // Kill 1: the processor has committed batch 5 to PostgreSQL and holds its Kafka transaction open.
        assertThat(first.awaitLine("FAULT: stalling batch 5", 120_000)).isTrue();
        first.kill();
        assertThat(first.exitCode()).isEqualTo(137);
        Map<String, Long> decidedAtKill1 = decidedAtMsById();
        Set<String> stranded = strandedAtKill1(decidedAtKill1);
        long decidedAtKill2 = killedAfterItsFirstBatch(decidedAtKill1.size());

        JvmProcess third = ProcessorProcess.start(processorProps(FreePorts.pick()));
        try {
            assertThat(third.awaitLine("processor crash-test ready", 60_000)).isTrue();
            LoadRunner.Report report = load.get(10, TimeUnit.MINUTES);
            System.out.println("ProcessorCrashIT load: " + report.summary());
            assertThat(report.violations()).isEmpty();
            assertThat(report.accepted()).isEqualTo(10_000);
            assertThat(decidedAtKill2)
                    .as("payments decided at the second kill: it landed before the log was drained")
                    .isLessThan(report.ids().size());

            PipelineAssertions.assertExactlyOnce(stack.pg, stack.infra.kafkaBootstrap(), report.ids());
            strandedOutcomesWereReEmittedOnce(stranded, decidedAtKill1);
        } finally {
            third.kill();
        }
    }

    /** Every decided payment in PostgreSQL, with its decision time. */
    private static Map<String, Long> decidedAtMsById() {
        Map<String, Long> decided = new HashMap<>();
        for (String row : stack.pg.strings("SELECT payment_id || ' ' || (extract(epoch FROM decided_at) * 1000)::bigint"
                + " FROM payments WHERE status IN ('succeeded', 'failed')")) {
            String[] f = row.split(" ");
            decided.put(f[0], Long.parseLong(f[1]));
        }
        return decided;
    }

    /** What kill 1 left behind: outcomes decided in PostgreSQL but not committed to payments.results. */
    private static Set<String> strandedAtKill1(Map<String, Long> decidedAtKill1) {
        Set<String> stranded = new HashSet<>(decidedAtKill1.keySet());
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true)) {
            stranded.remove(OutcomeEvent.parse(r.value()).paymentId());
        }
        assertThat(stranded)
                .as("kill 1 landed between the PostgreSQL and the Kafka commit of a batch")
                .isNotEmpty();
        return stranded;
    }

    /**
     * Kill 2: a restarted processor, killed as soon as it has committed a batch of its own to
     * PostgreSQL, wherever it stands in the next one. The backlog left by the stall (the load kept
     * going) is what it works through, so the kill lands mid-flight however fast the gateway was.
     * Returns the payments decided at the kill.
     */
    private static long killedAfterItsFirstBatch(long decidedBefore) throws Exception {
        String decidedSql = "SELECT count(*) FROM payments WHERE status IN ('succeeded', 'failed')";
        JvmProcess second = ProcessorProcess.start(processorProps(FreePorts.pick()));
        assertThat(second.awaitLine("processor crash-test ready", 60_000)).isTrue();
        long deadline = System.currentTimeMillis() + 60_000;
        long decided = decidedBefore;
        while (decided == decidedBefore && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            decided = stack.pg.count(decidedSql);
        }
        second.kill();
        assertThat(decided)
                .as("the restarted processor committed a batch before the second kill")
                .isGreaterThan(decidedBefore);
        return decided;
    }

    /**
     * The batch held at kill 1 was stored in PostgreSQL but not committed to Kafka. Whichever process
     * read it again must have re-emitted the stored outcomes: each of those payments has exactly one
     * outcome on the topic, carrying the decision time stored before kill 1.
     */
    private static void strandedOutcomesWereReEmittedOnce(Set<String> stranded, Map<String, Long> decidedAtKill1) {
        Map<String, List<Long>> outcomeTimes = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true)) {
            OutcomeEvent o = OutcomeEvent.parse(r.value());
            outcomeTimes.computeIfAbsent(o.paymentId(), k -> new ArrayList<>()).add(o.decidedAtMs());
        }
        for (String id : stranded) {
            assertThat(outcomeTimes.get(id))
                    .as("outcomes of %s, stranded by kill 1", id)
                    .containsExactly(decidedAtKill1.get(id));
        }
    }
}
