package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --repair} against a processor that is behind (stopped, its group's committed offsets short
 * of the billing records): payments that look missing in the ledger, missing an outcome or stuck are
 * reported as lagging and not re-driven; once the processor catches up, each payment has exactly one
 * outcome on payments.results (read_committed).
 */
class ReconcileLaggingIT {
    private static ProviderStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
    }

    @Test
    void repairLeavesWhatTheProcessorHasNotReachedAndEachPaymentEndsWithOneOutcome() throws Exception {
        String bootstrap = stack.infra.kafkaBootstrap();
        // The group exists and has committed offsets: one payment processed, then the processor stops.
        Processor first = stack.startProcessor(Map.of());
        assertThat(stack.pay("warm", 100, "pm_card_visa").statusCode()).isEqualTo(202);
        assertThat(stack.pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", 1, 60_000))
                .isEqualTo(1);
        awaitCaughtUp(bootstrap);
        ProviderStack.await(first.close());

        // Behind it: accepted payments with no ledger row (would be missing_in_ledger) ...
        List<String> all = new ArrayList<>(List.of(PaymentIds.paymentId("default", "warm")));
        List<String> lagging = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            assertThat(stack.pay("lag-" + i, 200 + i, "pm_card_visa").statusCode())
                    .isEqualTo(202);
            lagging.add(PaymentIds.paymentId("default", "lag-" + i));
        }
        lagging.addAll(stuckAndDecidedBehindTheProcessor(bootstrap));
        all.addAll(lagging);
        int billingBefore = TopicReader.readAll(bootstrap, Topics.BILLING, true).size();
        assertThat(billingBefore).isEqualTo(all.size());

        theRepairReportsThemLaggingAndReDrivesNothing(bootstrap, lagging);

        // The processor catches up: every billing record processed, one outcome per payment. One
        // record per batch, as when a re-drive lands behind a batch stalled by an outage: a re-driven
        // record in the same batch as its original would be deduplicated there and prove nothing.
        theCaughtUpProcessorEmitsOneOutcomeEach(bootstrap, all);
    }

    /**
     * One payment claimed by a record the processor has not committed past, charging for ten minutes
     * (would be stuck), and one decided and charged whose outcome is not on payments.results yet (would
     * be missing_outcome): the processor will emit it when it replays the claiming record.
     */
    private static List<String> stuckAndDecidedBehindTheProcessor(String bootstrap) throws Exception {
        assertThat(stack.pay("lag-stuck", 300, "pm_card_visa").statusCode()).isEqualTo(202);
        String stuck = PaymentIds.paymentId("default", "lag-stuck");
        seedRow(billingRecord(bootstrap, stuck), "charging", "last_attempt_at = now() - interval '10 minutes'");
        assertThat(stack.pay("lag-decided", 400, "pm_card_visa").statusCode()).isEqualTo(202);
        String decided = PaymentIds.paymentId("default", "lag-decided");
        seedRow(billingRecord(bootstrap, decided), "succeeded", "decided_at = now() - interval '5 minutes'");
        String charge = new JsonObject(stack.stripe(
                                "/v1/payment_intents",
                                decided,
                                "amount=400&currency=usd&customer=cus_1&payment_method=pm_card_visa&confirm=true&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%5Ballow_redirects%5D=never"
                                        + "&metadata%5Bpayment_id%5D=" + decided
                                        + "&metadata%5Bsource%5D=streamsocial-billing&metadata%5Btenant%5D=default")
                        .body())
                .getString("latest_charge");
        stack.pg.count("WITH x AS (UPDATE payments SET provider_ref = '" + charge + "' WHERE payment_id = '" + decided
                + "' RETURNING 1) SELECT count(*) FROM x");
        stack.pg.count("WITH x AS (INSERT INTO ledger_entries (payment_id, kind, amount, currency) VALUES ('" + decided
                + "', 'charge', 400, 'USD') RETURNING 1) SELECT count(*) FROM x");
        return List.of(stuck, decided);
    }

    private static void theRepairReportsThemLaggingAndReDrivesNothing(String bootstrap, List<String> lagging)
            throws Exception {
        ReconcileReport repair = stack.reconcile(true, 0);
        System.out.println(repair.table());
        assertThat(repair.ids(BreakClass.LAGGING)).containsExactlyInAnyOrderElementsOf(lagging);
        JsonObject json = repair.toJson(0, 0, true).getJsonObject("breaks");
        assertThat(json.getJsonObject("lagging").getJsonObject("would_be").getMap())
                .isEqualTo(Map.of("missing_in_ledger", 5L, "stuck", 1L, "missing_outcome", 1L));
        for (BreakClass c : List.of(BreakClass.MISSING_IN_LEDGER, BreakClass.MISSING_OUTCOME, BreakClass.STUCK)) {
            assertThat(repair.ids(c)).as(c.wire()).isEmpty();
        }
        for (BreakClass c : BreakClass.values()) {
            assertThat(json.getJsonObject(c.wire()).getLong("repaired"))
                    .as(c.wire())
                    .isZero();
        }
        assertThat(repair.total()).as("lagging payments count as breaks").isEqualTo(lagging.size());
        List<ConsumerRecord<String, byte[]>> billing = TopicReader.readAll(bootstrap, Topics.BILLING, true);
        assertThat(billing.stream().filter(r -> r.headers().lastHeader(InputRecord.REDRIVE_HEADER) != null))
                .as("re-driven records")
                .isEmpty();
    }

    private static void theCaughtUpProcessorEmitsOneOutcomeEach(String bootstrap, List<String> all) throws Exception {
        Processor second = stack.startProcessor(Map.of("processor.maxPollRecords", "1"));
        try {
            assertThat(stack.pg.awaitCount(
                            "SELECT count(*) FROM payments WHERE status = 'succeeded'", all.size(), 120_000))
                    .isEqualTo(all.size());
            awaitCaughtUp(bootstrap);
            Map<String, Integer> outcomes = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : TopicReader.readAll(bootstrap, Topics.RESULTS, true)) {
                outcomes.merge(OutcomeEvent.parse(r.value()).paymentId(), 1, Integer::sum);
            }
            Map<String, Integer> once = new HashMap<>();
            all.forEach(id -> once.put(id, 1));
            assertThat(outcomes).as("outcomes per payment").isEqualTo(once);
            assertThat(stack.reconcile(false, 0).total())
                    .as("nothing left once caught up")
                    .isZero();
        } finally {
            ProviderStack.await(second.close());
        }
    }

    /** The payment's billing record, as the gateway published it. */
    private static ConsumerRecord<String, byte[]> billingRecord(String bootstrap, String paymentId) {
        return TopicReader.readAll(bootstrap, Topics.BILLING, true).stream()
                .filter(r -> paymentId.equals(r.key()))
                .findFirst()
                .orElseThrow();
    }

    /** A ledger row claimed by {@code r}, as if a processor had claimed it and died before committing. */
    private static void seedRow(ConsumerRecord<String, byte[]> r, String status, String set) {
        PaymentEvent e = PaymentEvent.parse(r.value());
        stack.pg.count("""
                WITH x AS (
                    INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                                          customer_id, payment_method, status, source_partition, source_offset,
                                          accepted_at)
                    VALUES ('%s', '%s', '%s', '%s', %d, '%s', '%s', '%s', '%s', %d, %d, to_timestamp(%d / 1000.0))
                    RETURNING 1)
                SELECT count(*) FROM x""".formatted(
                        e.tenant(),
                        e.idempotencyKey(),
                        e.paymentId(),
                        e.requestHash(),
                        e.amount(),
                        e.currency(),
                        e.customerId(),
                        e.paymentMethod(),
                        status,
                        r.partition(),
                        r.offset(),
                        e.acceptedAtMs()));
        stack.pg.count("WITH x AS (UPDATE payments SET " + set + " WHERE payment_id = '" + e.paymentId()
                + "' RETURNING 1) SELECT count(*) FROM x");
    }

    /** Waits until the processor group has committed past every billing record. */
    private static void awaitCaughtUp(String bootstrap) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("billing-processor")
                        .partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS);
                boolean caughtUp = TopicReader.readAll(bootstrap, Topics.BILLING, true).stream()
                        .allMatch(r -> {
                            OffsetAndMetadata c = committed.get(new TopicPartition(r.topic(), r.partition()));
                            return c != null && c.offset() > r.offset();
                        });
                if (caughtUp) {
                    return;
                }
                assertThat(System.currentTimeMillis()).as("processor caught up").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }
}
