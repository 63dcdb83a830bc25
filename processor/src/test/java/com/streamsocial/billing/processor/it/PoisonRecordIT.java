package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.DeadLetterHeaders;
import com.streamsocial.billing.events.OutcomeEvent;
import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, item 1: each kind of bad record on payments.billing ends on payments.dlq (read_committed,
 * with its error and source headers, value unchanged), and a good record produced right after it on
 * the same partition gets its outcome: one bad record never stops billing. Real broker, real
 * PostgreSQL, the real processor in this JVM (approve-all provider).
 */
class PoisonRecordIT {
    private static final int PARTITION = 0;
    private static LocalInfra infra;
    private static ApproveAllProcessor fixture;
    private static Processor processor;
    private static int httpPort;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        httpPort = FreePorts.pick();
        fixture = ApproveAllProcessor.start(
                "poison-it",
                infra.kafkaBootstrap(),
                infra.pgUri(),
                Map.of(
                        "processor.groupId", "poison-it",
                        "processor.httpHost", "127.0.0.1",
                        "processor.httpPort", String.valueOf(httpPort)));
        processor = fixture.processor();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static PaymentEvent event(String key) {
        return new PaymentEvent(
                PaymentIds.paymentId("default", key),
                "default",
                key,
                "h",
                1999,
                "EUR",
                "cus_1",
                "pm_card_visa",
                "",
                Map.of("order", "1"),
                System.currentTimeMillis());
    }

    private static byte[] with(String field, Object value) {
        return event("bad-" + field).toJson().put(field, value).toBuffer().getBytes();
    }

    private static byte[] without(String field) {
        JsonObject j = event("bad-missing-" + field).toJson();
        j.remove(field);
        return j.toBuffer().getBytes();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private record Bad(byte[] key, byte[] value, String code) {}

    /** One bad record per kind, with the error code it must carry on the DLQ. */
    private static Map<String, Bad> badRecords() {
        Map<String, Bad> bad = new LinkedHashMap<>();
        // The exact record of issue 6 (kcat -K: makes the key "k").
        bad.put(
                "issue 6 poison record",
                new Bad(
                        utf8("k"),
                        utf8("{\"type\":\"payment.accepted\",\"payment_id\":\"pay_poison\",\"tenant\":\"default\","
                                + "\"idempotency_key\":\"p\",\"request_hash\":\"x\",\"amount\":null,\"currency\":\"EUR\","
                                + "\"customer_id\":\"c\",\"payment_method\":\"pm_card_visa\",\"description\":\"\","
                                + "\"metadata\":{},\"accepted_at_ms\":1}"),
                        "null_field"));
        bad.put("unparseable", new Bad(utf8("k1"), utf8("{not json"), "unparseable"));
        bad.put("no value", new Bad(utf8("k2"), null, "no_value"));
        bad.put("null accepted_at_ms", new Bad(null, with("accepted_at_ms", null), "null_field"));
        bad.put(
                "null metadata value",
                new Bad(null, with("metadata", new JsonObject().putNull("order")), "null_field"));
        bad.put("wrong type", new Bad(null, with("amount", "1999"), "wrong_type"));
        bad.put("unknown type", new Bad(null, with("type", "payment.refunded"), "unknown_type"));
        bad.put("oversize", new Bad(null, with("description", "d".repeat(70_000)), "oversize"));
        bad.put("missing field", new Bad(null, without("customer_id"), "missing_field"));
        bad.put("invalid field", new Bad(null, with("currency", "XYZ"), "invalid_field"));
        bad.put("tenant out of range", new Bad(null, with("tenant", "t".repeat(65)), "oversize"));
        bad.put("amount out of range", new Bad(null, with("amount", 100_000_000), "out_of_range"));
        bad.put(
                "key is not the payment id",
                new Bad(utf8("someone-else"), event("wrong-key").toBytes(), "key_mismatch"));
        return bad;
    }

    @Test
    void everyBadRecordIsDeadLetteredAndTheGoodRecordAfterItSucceeds() throws Exception {
        Map<String, Bad> bad = badRecords();
        Map<Long, String> caseAtOffset = new HashMap<>();
        Map<String, String> goodIdOf = new LinkedHashMap<>();
        Map<String, Object> config =
                KafkaSafety.idempotentProducer(Map.of("bootstrap.servers", infra.kafkaBootstrap()));
        config.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        config.put("max.request.size", 1_048_576);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            int n = 0;
            for (Map.Entry<String, Bad> c : bad.entrySet()) {
                long offset = producer.send(new ProducerRecord<>(
                                Topics.BILLING,
                                PARTITION,
                                c.getValue().key(),
                                c.getValue().value()))
                        .get(30, TimeUnit.SECONDS)
                        .offset();
                caseAtOffset.put(offset, c.getKey());
                PaymentEvent good = event("good-after-" + n++ + "-" + System.nanoTime());
                producer.send(new ProducerRecord<>(Topics.BILLING, PARTITION, utf8(good.paymentId()), good.toBytes()))
                        .get(30, TimeUnit.SECONDS);
                goodIdOf.put(c.getKey(), good.paymentId());
            }
        }

        List<ConsumerRecord<String, byte[]>> dlq = awaitRecords(
                Topics.DLQ,
                r -> {
                    String source = header(r, DeadLetterHeaders.SOURCE_OFFSET);
                    return source != null && caseAtOffset.containsKey(Long.parseLong(source));
                },
                bad.size());
        Set<String> resultIds = awaitRecords(
                        Topics.RESULTS,
                        r -> goodIdOf.containsValue(
                                OutcomeEvent.parse(r.value()).paymentId()),
                        goodIdOf.size())
                .stream()
                .map(r -> OutcomeEvent.parse(r.value()).paymentId())
                .collect(Collectors.toSet());

        Map<String, ConsumerRecord<String, byte[]>> dlqByCase = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : dlq) {
            String name = caseAtOffset.get(Long.parseLong(header(r, DeadLetterHeaders.SOURCE_OFFSET)));
            assertThat(dlqByCase.put(name, r)).as("one dead letter for " + name).isNull();
        }
        for (Map.Entry<String, Bad> c : bad.entrySet()) {
            String name = c.getKey();
            ConsumerRecord<String, byte[]> r = dlqByCase.get(name);
            assertThat(r).as("dead letter for " + name).isNotNull();
            assertThat(header(r, DeadLetterHeaders.ERROR_CODE))
                    .as(name)
                    .isEqualTo(c.getValue().code());
            assertThat(header(r, DeadLetterHeaders.ERROR_MESSAGE)).as(name).isNotBlank();
            assertThat(header(r, DeadLetterHeaders.SOURCE_TOPIC)).as(name).isEqualTo(Topics.BILLING);
            assertThat(header(r, DeadLetterHeaders.SOURCE_PARTITION)).as(name).isEqualTo(String.valueOf(PARTITION));
            Header key = r.headers().lastHeader(DeadLetterHeaders.SOURCE_KEY);
            if (c.getValue().key() == null) {
                assertThat(key).as(name).isNull();
            } else {
                assertThat(key.value()).as(name).isEqualTo(c.getValue().key());
            }
            assertThat(r.value())
                    .as(name + ": the original value")
                    .isEqualTo(c.getValue().value());
            assertThat(resultIds).as("the good record after " + name).contains(goodIdOf.get(name));
        }

        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/health/live", "/health/ready")) {
            HttpResponse<String> h = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(h.statusCode()).as(path + " " + h.body()).isEqualTo(200);
            if (path.equals("/health/ready")) {
                // approve-all moves no money: readiness says so (issue 19 §6, DevModes).
                assertThat(new io.vertx.core.json.JsonObject(h.body())
                                .getJsonArray("dev_modes")
                                .getString(0))
                        .as(h.body())
                        .startsWith("provider.kind=approve-all");
            }
        }
        assertThat(processor.metrics().count("processor.dead.letters", "code", "null_field"))
                .isEqualTo(3);
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Reads {@code topic} (read_committed) until {@code n} records match, or 120 s pass. */
    private static List<ConsumerRecord<String, byte[]>> awaitRecords(
            String topic, java.util.function.Predicate<ConsumerRecord<String, byte[]>> match, int n)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            found = TopicReader.readAll(infra.kafkaBootstrap(), topic, true).stream()
                    .filter(match)
                    .toList();
            if (found.size() >= n) {
                break;
            }
            Thread.sleep(500);
        }
        return found;
    }
}
