package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
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
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Generated hostile requests through the real HTTP stack of a real gateway: every one gets a 4xx
 * problem, never a 5xx, nothing reaches Kafka, and the gateway stays ready. 10,000 cases in all.
 */
class HostileInputIT {
    private static final String VALID =
            "{\"amount\":100,\"currency\":\"EUR\",\"customer_id\":\"cus_h\",\"payment_method\":\"pm_card_visa\"}";
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

    @BeforeContainer
    static void start() throws Exception {
        infra = SharedInfra.get();
        tenant = "hostile-" + System.nanoTime();
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

    @AfterContainer
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

    private static void assertRefused(byte[] body) throws Exception {
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
    @Property(tries = 2_500)
    void truncatedOrTrailedJson(@ForAll("cuts") int cut, @ForAll("garbage") String tail) throws Exception {
        String body = cut < VALID.length() ? VALID.substring(0, cut) : VALID + tail;
        assertRefused(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Wrong types, nulls, huge numbers, -0, floats and exponents in the amount. */
    @Property(tries = 2_500)
    void hostileValues(@ForAll("fields") String field, @ForAll("hostileValues") String value) throws Exception {
        String body = VALID.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[0-9]+)", "\"" + field + "\":" + value);
        assertRefused(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Deeply nested values, duplicate keys and unknown fields. */
    @Property(tries = 2_500)
    void nestingDuplicatesAndUnknownFields(@ForAll("depths") int depth, @ForAll("shapes") int shape) throws Exception {
        String nested = "[".repeat(depth) + "1" + "]".repeat(depth);
        String body = switch (shape) {
            case 0 -> VALID.replace("\"amount\":100", "\"amount\":" + nested);
            case 1 -> VALID.replace("{\"amount\":100", "{\"amount\":100,\"amount\":" + depth);
            case 2 -> VALID.replace("}", ",\"metadata\":{\"a\":\"1\",\"a\":\"" + depth + "\"}}");
            default -> VALID.replace("}", ",\"x" + depth + "\":" + nested + "}");
        };
        assertRefused(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates encoded, 0xFF) in a string. */
    @Property(tries = 2_500)
    void invalidUtf8(@ForAll("badBytes") byte[] bad, @ForAll("fields") String field) throws Exception {
        String target = field.equals("amount") || field.equals("currency") ? "customer_id" : field;
        int at = VALID.indexOf("\"" + target + "\":\"") + target.length() + 4;
        byte[] before = VALID.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] after = VALID.substring(at).getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[before.length + bad.length + after.length];
        System.arraycopy(before, 0, body, 0, before.length);
        System.arraycopy(bad, 0, body, before.length, bad.length);
        System.arraycopy(after, 0, body, before.length + bad.length, after.length);
        assertRefused(body);
    }

    @Provide
    Arbitrary<Integer> cuts() {
        return Arbitraries.integers().between(0, VALID.length() + 1);
    }

    @Provide
    Arbitrary<String> garbage() {
        return Arbitraries.oneOf(
                Arbitraries.of(",", "}", "]", "{}", " x", "\"", ",\"a\":1", "null", "[]"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(20).filter(s -> !s.isBlank()));
    }

    @Provide
    Arbitrary<String> fields() {
        return Arbitraries.of("amount", "currency", "customer_id", "payment_method");
    }

    @Provide
    Arbitrary<String> hostileValues() {
        return Arbitraries.oneOf(
                Arbitraries.of(
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
                        "01"),
                Arbitraries.bigIntegers()
                        .between(java.math.BigInteger.valueOf(100_000_000L), java.math.BigInteger.TEN.pow(60))
                        .map(java.math.BigInteger::toString),
                // Double.toString always has a '.' or an exponent: never an integer amount.
                Arbitraries.doubles().map(d -> Double.toString(d)));
    }

    @Provide
    Arbitrary<Integer> depths() {
        return Arbitraries.integers().between(1, 5_000);
    }

    @Provide
    Arbitrary<Integer> shapes() {
        return Arbitraries.integers().between(0, 3);
    }

    @Provide
    Arbitrary<byte[]> badBytes() {
        return Arbitraries.of(
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
                new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80});
    }
}
