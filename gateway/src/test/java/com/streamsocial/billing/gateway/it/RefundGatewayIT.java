package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refund requests through two real gateways (2 lanes each) on one real Kafka and PostgreSQL, the
 * processor's half left out: concurrent refunds of one payment never sum over what was captured,
 * concurrent duplicates of one refund are published once, what remains is resolved at the gateway,
 * another tenant's payment is a 404 and publishes nothing (issue 21 §1).
 */
class RefundGatewayIT {
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static final String TENANT = "refund-it-" + RUN;

    private static LocalInfra infra;
    private static Vertx vertx;
    private static Pool pg;
    private static final List<Gateway> gateways = new ArrayList<>();
    private static final List<String> bases = new ArrayList<>();
    private static String bearer;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        vertx = Vertx.vertx();
        pg = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        for (String name : List.of("a", "b")) {
            int port = FreePorts.pick();
            gateways.add(Gateway.deploy(
                            vertx,
                            GatewayConfig.from(LocalInfra.singleBrokerSettings(Map.of(
                                    "http.port", String.valueOf(port),
                                    "gateway.instanceId", "gateway-refund-it-" + name,
                                    "gateway.producers", "2",
                                    "pg.uri", infra.pgUri(),
                                    "kafka.bootstrap.servers", infra.kafkaBootstrap()))),
                            BatchFaults.NONE)
                    .await());
            bases.add("http://127.0.0.1:" + port);
        }
        bearer = "Bearer " + TenantKeys.create(infra.pgUri(), TENANT);
    }

    @AfterAll
    static void stop() {
        gateways.forEach(g -> g.close().await());
        if (pg != null) {
            pg.close().await();
        }
        vertx.close().await();
    }

    /** A payment the processor recorded as succeeded for {@code amount}, as its ledger row says. */
    private static String succeeded(String tenant, String key, long amount) {
        String id = PaymentIds.paymentId(tenant, key);
        pg.preparedQuery("INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,"
                        + " customer_id, payment_method, status, provider_ref, source_partition, source_offset,"
                        + " accepted_at, decided_at) VALUES ($1, $2, $3, 'h', $4, 'USD', 'cus_1', 'pm_card_visa',"
                        + " 'succeeded', 'ch_x', 0, 0, now(), now())")
                .execute(Tuple.of(tenant, key, id, amount))
                .await();
        return id;
    }

    private static CompletableFuture<HttpResponse<String>> refund(
            int instance, String paymentId, String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create(bases.get(instance) + "/v1/payments/" + paymentId + "/refunds"))
                .header("Authorization", bearer)
                .header("Idempotency-Key", key)
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The refund events of a payment on payments.refunds, committed only or every one written. */
    private static List<RefundEvent> published(String paymentId, boolean committedOnly) {
        List<RefundEvent> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(infra.kafkaBootstrap(), Topics.REFUNDS, committedOnly)) {
            if (paymentId.equals(r.key())) {
                RefundEvent e = RefundEvent.decode(r.value()).orElseThrow();
                assertThat(e.paymentId()).isEqualTo(paymentId);
                out.add(e);
            }
        }
        return out;
    }

    private static long intentSum(String paymentId) {
        return pg.preparedQuery("SELECT coalesce(sum(amount), 0) FROM refund_intents WHERE payment_id = $1")
                .execute(Tuple.of(paymentId))
                .await()
                .iterator()
                .next()
                .getLong(0);
    }

    @Test
    void concurrentRefundsOnTwoInstancesNeverSumOverWhatWasCaptured() throws Exception {
        String paymentId = succeeded(TENANT, "concurrent-" + RUN, 1_000);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            sent.add(refund(i % 2, paymentId, "concurrent-r" + i + "-" + RUN, "{\"amount\":100}"));
        }
        int accepted = 0;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
                assertThat(new JsonObject(r.body()).getString("type")).endsWith("/payment-fully-refunded");
            }
        }
        assertThat(accepted).isEqualTo(10);
        assertThat(intentSum(paymentId)).isEqualTo(1_000);
        List<RefundEvent> events = published(paymentId, true);
        assertThat(events).hasSize(10);
        assertThat(events.stream().map(RefundEvent::refundId).distinct()).hasSize(10);
        assertThat(events.stream().mapToLong(RefundEvent::amountMinor).sum()).isEqualTo(1_000);
        assertThat(published(paymentId, false))
                .as("nothing written beyond the committed")
                .hasSize(10);
    }

    @Test
    void concurrentDuplicatesOfOneRefundArePublishedOnce() throws Exception {
        String paymentId = succeeded(TENANT, "duplicates-" + RUN, 700);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add(refund(i % 2, paymentId, "duplicate-r-" + RUN, "{\"amount\":300,\"reason\":\"duplicate\"}"));
        }
        int replays = 0;
        String refundId = null;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            replays += r.headers().firstValue("Idempotent-Replayed").isPresent() ? 1 : 0;
            String id = new JsonObject(r.body()).getString("id");
            assertThat(refundId == null || refundId.equals(id)).isTrue();
            refundId = id;
        }
        assertThat(replays).isEqualTo(7);
        assertThat(intentSum(paymentId)).isEqualTo(300);
        assertThat(published(paymentId, false)).hasSize(1);
        assertThat(published(paymentId, true).get(0).refundId()).isEqualTo(refundId);
        // the key with another amount names another request
        HttpResponse<String> reused =
                refund(0, paymentId, "duplicate-r-" + RUN, "{\"amount\":301}").get(60, TimeUnit.SECONDS);
        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(new JsonObject(reused.body()).getString("type")).endsWith("/idempotency-key-reused");
    }

    @Test
    void anAmountLeftOutIsWhatRemainsAndOneOverIsRefused() throws Exception {
        String paymentId = succeeded(TENANT, "rest-" + RUN, 1_000);
        assertThat(refund(0, paymentId, "rest-a-" + RUN, "{\"amount\":250}")
                        .get(60, TimeUnit.SECONDS)
                        .statusCode())
                .isEqualTo(202);
        HttpResponse<String> over =
                refund(1, paymentId, "rest-b-" + RUN, "{\"amount\":751}").get(60, TimeUnit.SECONDS);
        assertThat(over.statusCode()).isEqualTo(422);
        assertThat(new JsonObject(over.body()).getString("type")).endsWith("/refund-exceeds-remainder");
        assertThat(new JsonObject(over.body()).getString("detail")).endsWith(": 750");
        HttpResponse<String> rest = refund(1, paymentId, "rest-c-" + RUN, null).get(60, TimeUnit.SECONDS);
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(202);
        assertThat(new JsonObject(rest.body()).getLong("amount")).isEqualTo(750L);
        assertThat(published(paymentId, true))
                .extracting(RefundEvent::amountMinor)
                .containsExactlyInAnyOrder(250L, 750L);
    }

    @Test
    void anotherTenantsPaymentIsNotFoundAndNothingIsPublished() throws Exception {
        String theirs = succeeded("refund-it-other-" + RUN, "theirs-" + RUN, 500);
        HttpResponse<String> r = refund(0, theirs, "theirs-r-" + RUN, null).get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(r.body()).getString("type")).endsWith("/payment-not-found");
        HttpResponse<String> missing =
                refund(0, "pay_" + "1".repeat(32), "missing-r-" + RUN, null).get(60, TimeUnit.SECONDS);
        assertThat(new JsonObject(missing.body()).getString("detail"))
                .isEqualTo(new JsonObject(r.body()).getString("detail"));
        assertThat(published(theirs, false)).isEmpty();
        assertThat(intentSum(theirs)).isZero();
    }
}
