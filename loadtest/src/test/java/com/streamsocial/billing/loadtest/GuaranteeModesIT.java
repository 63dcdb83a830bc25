package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The three values of {@code processor.guarantee} under the same crash: the processor (its own JVM,
 * talking to the sandbox over HTTP) is killed with SIGKILL while its fault hook holds batch 2 in the
 * mode's crash window, then restarted. At-most-once has committed that batch's offsets and never
 * processes it: payments lost. At-least-once has charged and published it but not committed its
 * offsets: the restart charges (without an idempotency key) and publishes it again. Exactly-once holds
 * it between its PostgreSQL and its Kafka commit: the restart re-emits the stored outcomes, one charge
 * and one outcome per payment. Each mode gets a fresh broker, database and sandbox.
 */
class GuaranteeModesIT {
    private static final int PAYMENTS = 300;
    private static final String INSTANCE = "modes";

    /** What one run left behind, per accepted payment id. */
    private record Outcome(List<String> accepted, Map<String, Integer> outcomes, Map<String, Integer> charges) {
        List<String> lost() {
            return accepted.stream()
                    .filter(id -> outcomes.getOrDefault(id, 0) == 0 && charges.getOrDefault(id, 0) == 0)
                    .toList();
        }

        List<String> chargedTwice() {
            return accepted.stream()
                    .filter(id -> charges.getOrDefault(id, 0) > 1)
                    .toList();
        }

        List<String> notExactlyOnce() {
            return accepted.stream()
                    .filter(id -> outcomes.getOrDefault(id, 0) != 1 || charges.getOrDefault(id, 0) != 1)
                    .toList();
        }
    }

    @Test
    void atMostOnceLosesTheBatchItCommittedBeforeTheCrash() throws Exception {
        Outcome o = crashOnce("at-most-once");
        assertThat(o.lost()).as("payments with no outcome and no charge").isNotEmpty();
    }

    @Test
    void atLeastOnceChargesTheBatchItHadNotCommittedTwice() throws Exception {
        Outcome o = crashOnce("at-least-once");
        assertThat(o.chargedTwice()).as("payments charged twice at the sandbox").isNotEmpty();
        assertThat(o.lost()).as("payments with no outcome and no charge").isEmpty();
    }

    @Test
    void exactlyOnceNeitherLosesNorChargesTwice() throws Exception {
        Outcome o = crashOnce("exactly-once");
        assertThat(o.notExactlyOnce())
                .as("payments without exactly one outcome and one charge")
                .isEmpty();
    }

    private static Outcome crashOnce(String guarantee) throws Exception {
        try (ProviderStack stack = ProviderStack.start(SandboxFaults.NONE)) {
            Map<String, String> props = stack.processorSettings(Map.of(
                    "processor.instanceId",
                    INSTANCE,
                    "processor.guarantee",
                    guarantee,
                    "processor.loops",
                    "1",
                    "processor.maxPollRecords",
                    "20"));
            Map<String, String> stalling = new HashMap<>(props);
            stalling.put("processor.httpPort", String.valueOf(FreePorts.pick()));
            stalling.put("processor.faults.stallOnBatch", "2");
            stalling.put("processor.faults.stallMs", "120000");
            JvmProcess first = ProcessorProcess.start(stalling);
            JvmProcess second = null;
            try {
                assertThat(first.awaitLine("processor " + INSTANCE + " ready", 60_000))
                        .isTrue();
                CompletableFuture<LoadRunner.Report> load = LoadRunner.run(
                                stack.vertx,
                                new LoadRunner.Options(
                                        stack.baseUrl(), PAYMENTS, 0, 0, 8, "modes-", "pm_card_visa", stack.apiKey))
                        .toCompletionStage()
                        .toCompletableFuture();
                assertThat(first.awaitLine("FAULT: stalling batch 2", 120_000)).isTrue();
                first.kill();
                second = ProcessorProcess.start(props);
                assertThat(second.awaitLine("processor " + INSTANCE + " ready", 60_000))
                        .isTrue();
                LoadRunner.Report report = load.get(5, TimeUnit.MINUTES);
                System.out.println("GuaranteeModesIT " + guarantee + " load: " + report.summary());
                assertThat(report.violations()).isEmpty();
                assertThat(report.accepted()).isEqualTo(PAYMENTS);
                awaitCaughtUp(stack);
                Map<String, Integer> outcomes = new HashMap<>();
                for (ConsumerRecord<String, byte[]> r :
                        TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.RESULTS, true)) {
                    outcomes.merge(r.key(), 1, Integer::sum);
                }
                Map<String, Integer> charges = new HashMap<>();
                for (String id :
                        stack.pg.strings("SELECT payment_id FROM sandbox.charges WHERE payment_id IS NOT NULL")) {
                    charges.merge(id, 1, Integer::sum);
                }
                Outcome o = new Outcome(report.ids(), outcomes, charges);
                System.out.printf(
                        "GuaranteeModesIT %s: %d accepted, %d lost, %d charged twice, %d outcomes, %d charges%n",
                        guarantee,
                        o.accepted().size(),
                        o.lost().size(),
                        o.chargedTwice().size(),
                        outcomes.values().stream().mapToInt(i -> i).sum(),
                        charges.values().stream().mapToInt(i -> i).sum());
                return o;
            } finally {
                if (first.isAlive()) {
                    first.kill();
                }
                if (second != null) {
                    second.kill();
                }
            }
        }
    }

    /**
     * Waits until the processors' group has committed past the last billing record of every
     * partition, then until payments.results stops growing (at-most-once publishes after its commit).
     */
    private static void awaitCaughtUp(ProviderStack stack) throws Exception {
        String bootstrap = stack.infra.kafkaBootstrap();
        Map<TopicPartition, Long> last = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(bootstrap, Topics.BILLING, true)) {
            last.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::max);
        }
        long deadline = System.currentTimeMillis() + 180_000;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("billing-processor")
                        .partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                boolean done = last.entrySet().stream().allMatch(e -> {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    return c != null && c.offset() > e.getValue();
                });
                if (done) {
                    break;
                }
                assertThat(System.currentTimeMillis())
                        .as("the restarted processor caught up")
                        .isLessThan(deadline);
                Thread.sleep(500);
            }
        }
        long before = -1;
        long now = TopicReader.readAll(bootstrap, Topics.RESULTS, true).size();
        while (now != before) {
            Thread.sleep(3_000);
            before = now;
            now = TopicReader.readAll(bootstrap, Topics.RESULTS, true).size();
        }
    }
}
