package com.streamsocial.billing.processor.it;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.psp.ApproveAllProvider;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The processor the in-JVM processor ITs run: one instance with the approve-all provider (a
 * development mode, so {@code dev.mode=true}), reconciliation off, on a single broker; and the reads
 * of its outcomes those tests share.
 */
final class ApproveAllProcessor implements AutoCloseable {
    private final Vertx vertx;
    private final Processor processor;

    private ApproveAllProcessor(Vertx vertx, Processor processor) {
        this.vertx = vertx;
        this.processor = processor;
    }

    /**
     * Deploys {@code instanceId} against {@code bootstrap} and {@code pgUri}, without its HTTP port
     * unless {@code settings} (which win over these) give one; within 120 s.
     */
    static ApproveAllProcessor start(String instanceId, String bootstrap, String pgUri, Map<String, String> settings)
            throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put("kafka.bootstrap.servers", bootstrap);
        s.put("pg.uri", pgUri);
        s.put("provider.kind", "approve-all");
        // approve-all moves no money: a development-only mode (DevModes).
        s.put("dev.mode", "true");
        s.put("processor.instanceId", instanceId);
        s.put("processor.httpPort", "-1");
        s.put("reconcile.intervalMs", "0");
        s.putAll(settings);
        Vertx vertx = Vertx.vertx();
        try {
            Processor processor = Processor.deploy(
                            vertx, ProcessorConfig.from(LocalInfra.singleBrokerSettings(s)), new ApproveAllProvider())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(120, TimeUnit.SECONDS);
            return new ApproveAllProcessor(vertx, processor);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    Processor processor() {
        return processor;
    }

    Vertx vertx() {
        return vertx;
    }

    @Override
    public void close() throws Exception {
        processor.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** {@code n} valid payments of tenant {@code default}, keyed {@code <prefix>-<i>}. */
    static List<PaymentEvent> events(String prefix, int n) {
        List<PaymentEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = prefix + "-" + i;
            out.add(new PaymentEvent(
                    PaymentIds.paymentId("default", key),
                    "default",
                    key,
                    "h",
                    100 + i,
                    "USD",
                    "cus_1",
                    "pm_card_visa",
                    "",
                    Map.of(),
                    System.currentTimeMillis()));
        }
        return out;
    }

    /** Waits until payments.results (read_committed) holds an outcome of each of {@code ids}, at most 120 s. */
    static void awaitOutcomes(String bootstrap, List<String> ids) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            List<String> seen = TopicReader.readAll(bootstrap, Topics.RESULTS, true).stream()
                    .map(r -> OutcomeEvent.parse(r.value()).paymentId())
                    .toList();
            if (seen.containsAll(ids)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("outcomes did not all arrive within 120 s");
    }

    /** How many outcomes each payment id has among {@code results}. */
    static Map<String, Integer> outcomesById(List<ConsumerRecord<String, byte[]>> results) {
        Map<String, Integer> outcomes = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : results) {
            outcomes.merge(OutcomeEvent.parse(r.value()).paymentId(), 1, Integer::sum);
        }
        return outcomes;
    }
}
