package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.Health;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TopicScan;
import com.streamsocial.billing.loadtest.harness.OutcomeCounter;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.ProcessorConfig;
import com.streamsocial.billing.processor.reconcile.ProviderAccount;
import com.streamsocial.billing.processor.reconcile.ReconcileOptions;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.processor.reconcile.Reconciler;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.TempDirs;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TestCa;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6, Kafka over TLS: a real KRaft broker whose client listener speaks TLS only, with a
 * certificate signed by a private CA made here. Configured through the ordinary {@code kafka.*}
 * settings ({@code security.protocol=SSL}, a PEM trust store), the gateway accepts a payment that is
 * committed to payments.billing, the processor charges it and commits its outcome, and reconcile and
 * the load harness's outcome reader read the topics; trusting another CA, the gateway does not start,
 * readiness says Kafka is down, and nothing is accepted or published.
 */
class KafkaTlsIT {
    private static final String SECRET = "sk_test_it";
    private static final HttpClient http = HttpClient.newHttpClient();

    private static Path dir;
    private static TestCa rightCa;
    private static TestCa otherCa;
    private static EmbeddedKafka kafka;
    private static EmbeddedPg pg;
    private static Vertx vertx;
    private static int sandboxPort;

    @BeforeAll
    static void start() throws Exception {
        dir = TempDirs.create("kafka-tls-");
        rightCa = TestCa.create(dir, "kafka-ca");
        otherCa = TestCa.create(dir, "other-ca");
        TestCa.Issued broker = rightCa.issue("broker", "127.0.0.1", "IP:127.0.0.1");
        kafka = EmbeddedKafka.startTls(broker.keyAndCertificate());
        kafka.createTopics(Topics.ALL, LocalInfra.TOPIC_PARTITIONS);
        pg = EmbeddedPg.start(0);
        vertx = Vertx.vertx();
        sandboxPort = FreePorts.pick();
        ProviderStack.await(vertx.deployVerticle(
                new SandboxProvider("127.0.0.1", sandboxPort, pg.uri(), SECRET, SandboxFaults.NONE)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            ProviderStack.await(vertx.close());
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (dir != null) {
            TempDirs.delete(dir);
        }
    }

    /** The {@code kafka.*} settings of a client that trusts {@code ca}, as an operator writes them. */
    private static Map<String, String> kafkaTls(TestCa ca) {
        return Map.of(
                "kafka.bootstrap.servers",
                kafka.bootstrapServers(),
                "kafka.security.protocol",
                "SSL",
                "kafka.ssl.truststore.type",
                "PEM",
                "kafka.ssl.truststore.location",
                ca.certificate().toString());
    }

    /** The same, as the Kafka clients get them (what {@link Settings#kafka} hands over). */
    private static Map<String, Object> clientTls(TestCa ca) {
        return Settings.of(kafkaTls(ca)).kafka();
    }

    private static GatewayConfig gatewayConfig(TestCa ca, String instanceId, int port) {
        Map<String, String> s = new HashMap<>(kafkaTls(ca));
        s.put("http.host", "127.0.0.1");
        s.put("http.port", String.valueOf(port));
        s.put("pg.uri", pg.uri());
        s.put("gateway.instanceId", instanceId);
        s.put("gateway.producers", "1");
        return GatewayConfig.from(LocalInfra.singleBrokerSettings(s));
    }

    private static HttpResponse<String> pay(int port, String apiKey, String idempotencyKey) throws Exception {
        String body = new JsonObject()
                .put("amount", 1_999)
                .put("currency", "USD")
                .put("customer_id", "cus_tls")
                .put("payment_method", "pm_card_visa")
                .encode();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/payments"))
                        .header("Authorization", "Bearer " + apiKey)
                        .header("Idempotency-Key", idempotencyKey)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The keys of {@code topic}'s committed records (read_committed), read over TLS trusting the right CA. */
    private static List<String> committedKeys(String topic) throws Exception {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(KafkaSafety.readCommittedConsumer(clientTls(rightCa), null))) {
            TopicScan.readToEnd(
                    c,
                    topic,
                    TopicScan.StartAt.offsets(Map.of()),
                    Duration.ofSeconds(60),
                    (ConsumerRecord<String, byte[]> r) -> keys.add(r.key()));
        }
        return keys;
    }

    @Test
    void withThePrivateCaAPaymentIsCommittedChargedAndReconciledOverTls() throws Exception {
        int port = FreePorts.pick();
        Gateway gateway =
                ProviderStack.await(Gateway.deploy(vertx, gatewayConfig(rightCa, "tls-gw", port), BatchFaults.NONE));
        Processor processor = null;
        // The load harness's outcome reader (loadtest run --kafka-property ...) over TLS too.
        try (Pg db = new Pg(vertx, pg.uri());
                OutcomeCounter outcomes = OutcomeCounter.start(clientTls(rightCa))) {
            String apiKey = TenantKeys.create(pg.uri(), "default");
            String paymentId = PaymentIds.paymentId("default", "tls-1");
            outcomes.track(paymentId);
            HttpResponse<String> r = pay(port, apiKey, "tls-1");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(committedKeys(Topics.BILLING)).containsExactly(paymentId);

            processor = ProviderStack.await(
                    Processor.deploy(vertx, ProcessorConfig.from(Settings.of(processorSettings()))));
            assertThat(db.awaitCount(
                            "SELECT count(*) FROM payments WHERE status = 'succeeded' AND payment_id = '" + paymentId
                                    + "'",
                            1,
                            60_000))
                    .isEqualTo(1);
            assertThat(Await.until(() -> committedKeys(Topics.RESULTS).contains(paymentId), 60_000))
                    .isTrue();
            assertThat(Await.until(() -> outcomes.count() == 1, 60_000)).isTrue();

            ReconcileReport report = reconcile();
            assertThat(report.records("billing")).isEqualTo(1);
            assertThat(report.records("results")).isEqualTo(1);
            assertThat(report.total()).as(report.table()).isZero();
        } finally {
            if (processor != null) {
                ProviderStack.await(processor.close());
            }
            ProviderStack.await(gateway.close());
        }
    }

    @Test
    void trustingAnotherCaNothingStartsReadinessSaysKafkaIsDownAndNothingIsAccepted() throws Exception {
        int port = FreePorts.pick();
        assertThatThrownBy(() -> ProviderStack.await(
                        Gateway.deploy(vertx, gatewayConfig(otherCa, "tls-gw-other", port), BatchFaults.NONE)))
                .hasStackTraceContaining("SSL");
        // Nothing listens: a payment cannot even be sent.
        assertThatThrownBy(() -> pay(port, "sk_test_any", "other-1")).isInstanceOf(java.net.ConnectException.class);

        // The readiness probe, with the same settings, says why: Kafka is down (and PostgreSQL is up).
        assertThat(readiness(otherCa).getJsonObject("kafka").getBoolean("up")).isFalse();
        assertThat(readiness(otherCa).getJsonObject("postgres").getBoolean("up"))
                .isTrue();
        assertThat(readiness(rightCa).getJsonObject("kafka").getBoolean("up")).isTrue();

        assertThat(committedKeys(Topics.BILLING)).doesNotContain(PaymentIds.paymentId("default", "other-1"));
    }

    /** The checks of a gateway's readiness probe with the {@code kafka.*} settings trusting {@code ca}. */
    private static JsonObject readiness(TestCa ca) throws Exception {
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(io.vertx.pgclient.PgConnectOptions.fromUri(pg.uri()))
                .using(vertx)
                .build();
        try (Health health = new Health(clientTls(ca))) {
            // The first probe fails when Kafka does: its outcome is what readiness reads.
            ProviderStack.await(health.start(vertx, pool, 60_000).otherwiseEmpty());
            return health.readiness().getJsonObject("checks");
        } finally {
            ProviderStack.await(pool.close());
        }
    }

    private static Map<String, String> processorSettings() {
        Map<String, String> p = new HashMap<>(kafkaTls(rightCa));
        p.put("pg.uri", pg.uri());
        p.put("provider.kind", "stripe");
        p.put("provider.baseUrl", "http://127.0.0.1:" + sandboxPort);
        p.put("provider.secretKey", SECRET);
        p.put("processor.httpHost", "127.0.0.1");
        p.put("processor.httpPort", String.valueOf(FreePorts.pick()));
        p.put("processor.loops", "1");
        p.put("reconcile.intervalMs", "0");
        p.put("dev.mode", "true");
        p.putAll(LocalInfra.SINGLE_BROKER);
        return p;
    }

    private static ReconcileReport reconcile() throws Exception {
        long now = System.currentTimeMillis();
        ReconcileOptions o = new ReconcileOptions(
                now - 3_600_000,
                now,
                0,
                60_000,
                false,
                Files.createTempFile(dir, "reconcile", ".json"),
                pg.uri(),
                clientTls(rightCa),
                "billing-processor",
                ProviderAccount.stripe("http://127.0.0.1:" + sandboxPort, SECRET),
                1_000,
                10_000,
                null);
        return new Reconciler(vertx, o).run();
    }
}
