package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.refund.RefundReason;
import com.streamsocial.billing.stack.TopicReader;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refunds end to end on a real broker and PostgreSQL (issue 21 §1): gateway, processor and the
 * sandbox's Stripe and PayPal. Partial and repeated refunds up to what was captured, concurrent
 * duplicates of one refund refunded once at the sandbox, a refund over what remains refused (422 at
 * the gateway; and, published past the gateway as after its crash between its two commits, failed by
 * the processor with no call to the provider); the sandbox's own records counted independently.
 */
class RefundIT {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(ProviderStack.QUICK_RETRIES);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    /** Refunds of the payment the sandbox made, read from its own tables: count and sum (negative). */
    private static long[] sandboxRefunds(String paymentId) {
        long n = stack.pg.count(
                "SELECT count(*) FROM sandbox.balance_transactions WHERE type = 'refund' AND payment_id = '" + paymentId
                        + "'");
        long sum = stack.pg.count("SELECT coalesce(sum(amount), 0) FROM sandbox.balance_transactions"
                + " WHERE type = 'refund' AND payment_id = '" + paymentId + "'");
        return new long[] {n, sum};
    }

    private static List<JsonObject> outcomes(String paymentId) {
        List<JsonObject> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(stack.infra.kafkaBootstrap(), Topics.REFUND_RESULTS, true)) {
            if (paymentId.equals(r.key())) {
                out.add(new JsonObject(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    @Test
    void partialRepeatedAndDuplicateRefundsReachWhatWasCapturedOnceAtTheSandbox() throws Exception {
        String id = stack.paid("refunds-" + RUN, 1_000);
        HttpResponse<String> first =
                stack.refundAsync(id, "r1-" + RUN, "{\"amount\":300}").get(60, TimeUnit.SECONDS);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        List<CompletableFuture<HttpResponse<String>>> duplicates = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            duplicates.add(stack.refundAsync(id, "r2-" + RUN, "{\"amount\":200,\"reason\":\"duplicate\"}"));
        }
        for (CompletableFuture<HttpResponse<String>> f : duplicates) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 202);
        }
        HttpResponse<String> over =
                stack.refundAsync(id, "r3-" + RUN, "{\"amount\":501}").get(60, TimeUnit.SECONDS);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(422);
        assertThat(new JsonObject(over.body()).getString("type")).endsWith("/refund-exceeds-remainder");
        HttpResponse<String> rest = stack.refundAsync(id, "r4-" + RUN, null).get(60, TimeUnit.SECONDS);
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(202);
        assertThat(new JsonObject(rest.body()).getLong("amount")).isEqualTo(500L);

        String url = stack.baseUrl() + "/v1/payments/" + id;
        assertThat(Await.until(() -> stack.get(url).getLong("amount_refunded") == 1_000L, 60_000))
                .as("refunded in full: %s", stack.get(url))
                .isTrue();
        JsonArray refunds = stack.get(url).getJsonArray("refunds");
        assertThat(refunds).hasSize(3);
        refunds.forEach(r -> assertThat(((JsonObject) r).getString("status")).isEqualTo("succeeded"));
        HttpResponse<String> nothingLeft =
                stack.refundAsync(id, "r5-" + RUN, null).get(60, TimeUnit.SECONDS);
        assertThat(new JsonObject(nothingLeft.body()).getString("type")).endsWith("/payment-fully-refunded");

        // The sandbox's own count: three refunds, of 1,000 in all; the eight duplicates made one.
        assertThat(sandboxRefunds(id)).containsExactly(3L, -1_000L);
        assertThat(stack.pg.count(
                        "SELECT count(*) FROM ledger_entries WHERE kind = 'refund' AND payment_id = '" + id + "'"))
                .isEqualTo(3);
        assertThat(stack.pg.count("SELECT sum(amount) FROM ledger_entries WHERE payment_id = '" + id + "'"))
                .as("charge minus refunds")
                .isZero();
        List<JsonObject> outcomes = outcomes(id);
        assertThat(outcomes).hasSize(3);
        assertThat(outcomes.stream().map(o -> o.getString("refund_id")).distinct())
                .hasSize(3);
        assertThat(outcomes.stream().map(o -> o.getString("status"))).containsOnly("succeeded");
    }

    @Test
    void aRefundPublishedPastTheGatewayOverWhatRemainsFailsWithNoProviderCall() throws Exception {
        String id = stack.paid("past-gateway-" + RUN, 400);
        assertThat(stack.refundAsync(id, "p1-" + RUN, "{\"amount\":300}")
                        .get(60, TimeUnit.SECONDS)
                        .statusCode())
                .isEqualTo(202);
        // As a gateway that died between its Kafka and PostgreSQL commits leaves it: published, no intent.
        String key = "p2-" + RUN;
        RefundEvent lost = new RefundEvent(
                RefundIds.refundId("default", key),
                id,
                "default",
                key,
                "h-lost",
                200,
                "USD",
                Optional.of(RefundReason.REQUESTED_BY_CUSTOMER),
                System.currentTimeMillis());
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", stack.infra.kafkaBootstrap());
        try (KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(Topics.REFUNDS, id, lost.toBytes())).get(30, TimeUnit.SECONDS);
        }
        assertThat(Await.until(() -> outcomes(id).size() == 2, 60_000))
                .as("%s", outcomes(id))
                .isTrue();
        JsonObject failed = outcomes(id).stream()
                .filter(o -> lost.refundId().equals(o.getString("refund_id")))
                .findFirst()
                .orElseThrow();
        assertThat(failed.getString("status")).isEqualTo("failed");
        assertThat(failed.getString("failure_code")).isEqualTo("refund_exceeds_remainder");
        assertThat(sandboxRefunds(id)).containsExactly(1L, -300L);
        assertThat(stack.pg.count("SELECT sum(amount) FROM ledger_entries WHERE payment_id = '" + id + "'"))
                .isEqualTo(100);
    }
}
