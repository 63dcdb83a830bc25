package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/**
 * Generated hostile requests through the real HTTP stack of a real gateway: every one gets a 4xx
 * problem, never a 5xx, nothing reaches Kafka, and the gateway stays ready. At least 10,000
 * distinct requests in all (QuickTheories skips a case it has already run, so each property is given
 * a few more than the {@value #CASES_MIN} it must run).
 */
class HostileInputIT {
    private static final String VALID =
            "{\"amount\":100,\"currency\":\"EUR\",\"customer_id\":\"cus_h\",\"payment_method\":\"pm_card_visa\"}";
    /** Distinct requests each property must send. */
    static final int CASES_MIN = 2_500;
    /** Cases each property is given: its domain is large, so only a few are repeats QuickTheories skips. */
    private static final int CASES_GIVEN = 2_600;

    private static final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final AtomicLong seq = new AtomicLong();
    private static final Set<String> ids = ConcurrentHashMap.newKeySet();
    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static String base;
    private static String tenant;
    private static String apiKey;
    private static Map<TopicPartition, Long> mark;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        tenant = "hostile-" + Long.toString(System.nanoTime(), 36);
        apiKey = TenantKeys.create(infra.pgUri(), tenant);
        vertx = Vertx.vertx();
        int port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-hostile-it");
        s.put("gateway.producers", "1");
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        gateway = Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + port;
        mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            // Nothing of this run reached Kafka, and the gateway is still ready.
            assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false))
                    .extracting(ConsumerRecord::key)
                    .doesNotContainAnyElementsOf(ids);
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/health/ready"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static void assertRefused(byte[] body) {
        try {
            assertRefusedOnce(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertRan(AtomicInteger ran) {
        // Printed so that CI's log shows the totals the README states.
        System.out.println("HostileInputIT "
                + StackWalker.getInstance()
                        .walk(f -> f.skip(1)
                                .findFirst()
                                .map(StackWalker.StackFrame::getMethodName)
                                .orElse("?"))
                + ": " + ran.get() + " distinct cases");
        assertThat(ran.get()).as("distinct cases run").isGreaterThanOrEqualTo(CASES_MIN);
    }

    private static void assertRefusedOnce(byte[] body) throws java.io.IOException, InterruptedException {
        String key = "hostile-" + seq.incrementAndGet();
        ids.add(PaymentIds.paymentId(tenant, key));
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                        .header("Authorization", "Bearer " + apiKey)
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode())
                .as(new String(body, StandardCharsets.UTF_8) + " -> " + r.body())
                .isBetween(400, 499);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    }

    /** Any proper prefix of a valid body, and any valid body with garbage after it, is malformed. */
    @Test
    void truncatedOrTrailedJson() {
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(CASES_GIVEN).forAll(cuts(), garbage()).checkAssert((cut, tail) -> {
            ran.incrementAndGet();
            String body = cut < VALID.length() ? VALID.substring(0, cut) : VALID + tail;
            assertRefused(body.getBytes(StandardCharsets.UTF_8));
        });
        assertRan(ran);
    }

    /**
     * Wrong types, nulls, huge numbers, -0, floats and exponents in each field: every listed value in
     * every field, then generated integers too large for an amount and generated doubles.
     */
    @Test
    void hostileValues() {
        AtomicInteger ran = new AtomicInteger();
        for (String field : FIELDS) {
            for (String value : HOSTILE_VALUES) {
                ran.incrementAndGet();
                assertRefused(withValue(field, value));
            }
        }
        Props.slowCases(CASES_GIVEN).forAll(Gens.of(FIELDS), generatedValues()).checkAssert((field, value) -> {
            ran.incrementAndGet();
            assertRefused(withValue(field, value));
        });
        assertRan(ran);
    }

    private static byte[] withValue(String field, String value) {
        String body = VALID.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[0-9]+)", "\"" + field + "\":" + value);
        return body.getBytes(StandardCharsets.UTF_8);
    }

    /** Deeply nested values, duplicate keys and unknown fields. */
    @Test
    void nestingDuplicatesAndUnknownFields() {
        AtomicInteger ran = new AtomicInteger();
        Gen<String> leaves = Gens.of("1", "\"a\"", "null", "true", "{}");
        Props.slowCases(CASES_GIVEN)
                .forAll(
                        SourceDSL.integers().between(1, 5_000),
                        SourceDSL.integers().between(0, 3),
                        leaves)
                .checkAssert((depth, shape, leaf) -> {
                    ran.incrementAndGet();
                    String nested = "[".repeat(depth) + leaf + "]".repeat(depth);
                    String body = switch (shape) {
                        case 0 -> VALID.replace("\"amount\":100", "\"amount\":" + nested);
                        case 1 -> VALID.replace("{\"amount\":100", "{\"amount\":100,\"amount\":" + depth);
                        case 2 -> VALID.replace("}", ",\"metadata\":{\"a\":\"1\",\"a\":\"" + depth + "\"}}");
                        default -> VALID.replace("}", ",\"x" + depth + "\":" + nested + "}");
                    };
                    assertRefused(body.getBytes(StandardCharsets.UTF_8));
                });
        assertRan(ran);
    }

    /**
     * Bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates encoded, 0xFF) inside a
     * string value, between generated ASCII text.
     */
    @Test
    void invalidUtf8() {
        AtomicInteger ran = new AtomicInteger();
        Gen<String> ascii = Gens.strings(Gens.charsOf("abcdefghijklmnopqrstuvwxyz0123456789_-"), 0, 6);
        Props.slowCases(CASES_GIVEN)
                .forAll(badBytes(), Gens.of(FIELDS), ascii, ascii)
                .checkAssert((bad, field, before, after) -> {
                    ran.incrementAndGet();
                    String target = field.equals("amount") || field.equals("currency") ? "customer_id" : field;
                    int at = VALID.indexOf("\"" + target + "\":\"") + target.length() + 4;
                    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                    body.writeBytes((VALID.substring(0, at) + before).getBytes(StandardCharsets.UTF_8));
                    body.writeBytes(bad);
                    body.writeBytes((after + VALID.substring(at)).getBytes(StandardCharsets.UTF_8));
                    assertRefused(body.toByteArray());
                });
        assertRan(ran);
    }

    private static Gen<Integer> cuts() {
        return SourceDSL.integers().between(0, VALID.length() + 1);
    }

    /** Any non-blank text, with the usual JSON continuations about one case in ten. */
    private static Gen<String> garbage() {
        return Gens.withEdges(
                Gens.strings(Gens.chars('\u0000', '\uffff'), 1, 20).assuming(s -> !s.isBlank()),
                ",",
                "}",
                "]",
                "{}",
                " x",
                "\"",
                ",\"a\":1",
                "null",
                "[]");
    }

    private static final String[] FIELDS = {"amount", "currency", "customer_id", "payment_method"};

    private static final String[] HOSTILE_VALUES = {
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "-0",
        "0",
        "-1",
        "1.0",
        "1e3",
        "-0.0",
        "1E400",
        "99999999999999999999999999999999",
        "-99999999999999999999999",
        "0.1",
        "\"\"",
        "\"   \"",
        "[\"pm_card_visa\"]",
        "{\"id\":\"x\"}",
        "NaN",
        "Infinity",
        "0x10",
        "01"
    };

    /** Integers from 100,000,000 to 60 digits, and doubles (Double.toString always has a '.' or an exponent). */
    private static Gen<String> generatedValues() {
        Gen<String> huge = SourceDSL.integers()
                .between(9, 60)
                .flatMap(n -> Gens.strings(Gens.chars('1', '9'), 1, 1)
                        .zip(Gens.strings(Gens.chars('0', '9'), n - 1, n - 1), String::concat));
        // Not Gens.doubles(): its edge cases (NaN, the infinities, -0.0) are among HOSTILE_VALUES already.
        Gen<Double> doubles =
                Gens.oneOf(SourceDSL.doubles().any(), SourceDSL.doubles().between(-1_000, 1_000));
        return Gens.oneOf(huge, doubles.map(d -> Double.toString(d)));
    }

    private static Gen<byte[]> badBytes() {
        return Gens.of(
                        new byte[] {(byte) 0x80},
                        new byte[] {(byte) 0xbf, 'a'},
                        new byte[] {(byte) 0xc0, (byte) 0xaf},
                        new byte[] {(byte) 0xe0, (byte) 0x80, (byte) 0xaf},
                        new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                        new byte[] {(byte) 0xed, (byte) 0xbf, (byte) 0xbf},
                        new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                        new byte[] {(byte) 0xff},
                        new byte[] {(byte) 0xfe, (byte) 0xff},
                        new byte[] {(byte) 0xc3},
                        new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80})
                .describedAs(Gens::printable);
    }
}
