package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import com.streamsocial.billing.gateway.ownership.VerificationConfig;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §1: a tenant charges only its own customers. Through real gateways on real Kafka and
 * PostgreSQL: a payment with another tenant's customer or payment method is refused 422 and neither
 * reserved nor published; registration is idempotent and exclusive; concurrent first uses end with one
 * owner. One gateway registers on first use ({@code gateway.ownership.firstUse=true}, as a development
 * stack), one runs with the production defaults: only explicit registration.
 */
class OwnershipIT {
    private static final HttpClient http = HttpClient.newHttpClient();
    private static LocalInfra infra;
    private static Vertx vertx;
    private static Pool pg;
    private static Gateway firstUse;
    /** The production defaults: no dev.mode, no gateway.ownership.firstUse. */
    private static Gateway registeredOnly;

    private static String firstUseBase;
    private static String registeredOnlyBase;
    private static String run;
    private static String keyA;
    private static String keyB;
    private static String tenantA;
    private static String tenantB;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        run = Long.toString(System.nanoTime(), 36);
        tenantA = "owner-a-" + run;
        tenantB = "owner-b-" + run;
        keyA = TenantKeys.create(infra.pgUri(), tenantA);
        keyB = TenantKeys.create(infra.pgUri(), tenantB);
        vertx = Vertx.vertx();
        pg = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        int port = FreePorts.pick();
        // Long linger and two lanes: concurrent requests share batches, and also go to different lanes.
        firstUse =
                deploy(port, "gateway-owner-it", Map.of("gateway.lingerMs", "50", OwnershipConfig.FIRST_USE, "true"));
        firstUseBase = "http://127.0.0.1:" + port;
        int port2 = FreePorts.pick();
        registeredOnly = deploy(port2, "gateway-owner-it-2", Map.of());
        registeredOnlyBase = "http://127.0.0.1:" + port2;
    }

    /** With {@code extra}, and without the test helper's first use: only what {@code extra} says. */
    private static Gateway deploy(int port, String instance, Map<String, String> extra) throws Exception {
        Map<String, String> s = new HashMap<>(Map.of(
                "http.port",
                String.valueOf(port),
                "http.host",
                "127.0.0.1",
                "gateway.instanceId",
                instance,
                "gateway.producers",
                "2",
                "pg.uri",
                infra.pgUri(),
                "kafka.bootstrap.servers",
                infra.kafkaBootstrap()));
        Map<String, String> settings = LocalInfra.singleBroker(s);
        settings.remove(LocalInfra.TEST_FIRST_USE);
        // The registry alone: its ids are no provider's (CustomerVerificationIT verifies with the sandbox).
        settings.put(VerificationConfig.VERIFY, "false");
        settings.putAll(extra);
        return Gateway.deploy(vertx, GatewayConfig.from(Settings.of(settings)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Gateway g : new Gateway[] {firstUse, registeredOnly}) {
            if (g != null) {
                g.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
        pg.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static String payment(String customer, String method) {
        return new JsonObject()
                .put("amount", 700)
                .put("currency", "EUR")
                .put("customer_id", customer)
                .put("payment_method", method)
                .encode();
    }

    private static HttpRequest pay(String base, String apiKey, String idempotencyKey, String body) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", idempotencyKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static HttpResponse<String> send(HttpRequest r) throws Exception {
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> register(String base, String apiKey, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + "/v1/customers"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private static String customer(String id, String... methods) {
        return new JsonObject()
                .put("customer_id", id)
                .put("payment_methods", new JsonArray(List.of((Object[]) methods)))
                .encode();
    }

    private static void assertNotOwned(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        JsonObject p = new JsonObject(r.body());
        assertThat(p.getString("type")).endsWith("/customer-not-owned");
        // Nothing of the owner: neither its tenant nor anything it sent.
        assertThat(r.body()).doesNotContain(tenantA, tenantB, "owner-");
    }

    private static String owner(String kind, String id) {
        List<String> owners = new ArrayList<>();
        for (Row row : pg.preparedQuery("SELECT tenant FROM owners WHERE kind = $1 AND id = $2")
                .execute(Tuple.of(kind, id))
                .await()) {
            owners.add(row.getString(0));
        }
        assertThat(owners).hasSizeLessThanOrEqualTo(1);
        return owners.isEmpty() ? null : owners.get(0);
    }

    private static long intents(String tenant, String idempotencyKey) {
        return pg.preparedQuery("SELECT count(*) FROM payment_intents WHERE payment_id = $1")
                .execute(Tuple.of(PaymentIds.paymentId(tenant, idempotencyKey)))
                .await()
                .iterator()
                .next()
                .getLong(0);
    }

    private static List<Object> firstUseModes(Gateway gateway) throws Exception {
        return devModes(gateway).stream()
                .filter(m -> !String.valueOf(m).startsWith(VerificationConfig.VERIFY))
                .toList();
    }

    /** {@code dev_modes} of the gateway's detailed readiness, on its management listener. */
    private static List<Object> devModes(Gateway gateway) throws Exception {
        HttpResponse<String> ready = send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.managementPort() + "/health/ready"))
                        .build());
        return new JsonObject(ready.body()).getJsonArray("dev_modes").getList();
    }

    /** The refusal counter, from the gateway's management listener (metrics are not on the API port). */
    private static double notOwnedCount(Gateway gateway) throws Exception {
        String scrape = send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + gateway.managementPort() + "/metrics"))
                        .build())
                .body();
        return scrape.lines()
                .filter(l -> l.startsWith("gateway_payments_not_owned_total "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void anotherTenantsCustomerOrPaymentMethodIsRefused422AndNothingIsPublished() throws Exception {
        String cusB = "cus_b_" + run;
        String pmB = "pm_b_" + run;
        String cusA = "cus_a_" + run;
        // B uses its customer and saved card first: both become B's.
        assertThat(send(pay(firstUseBase, keyB, "b-1-" + run, payment(cusB, pmB)))
                        .statusCode())
                .isEqualTo(202);
        assertThat(owner("customer", cusB)).isEqualTo(tenantB);
        assertThat(owner("payment_method", pmB)).isEqualTo(tenantB);
        double refusedBefore = notOwnedCount(firstUse);
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);

        // A with B's customer, with B's card on its own customer, and with both: each 422.
        List<String> keys = List.of("a-cus-" + run, "a-pm-" + run, "a-both-" + run);
        assertNotOwned(send(pay(firstUseBase, keyA, keys.get(0), payment(cusB, "pm_card_visa"))));
        assertNotOwned(send(pay(firstUseBase, keyA, keys.get(1), payment(cusA, pmB))));
        assertNotOwned(send(pay(firstUseBase, keyA, keys.get(2), payment(cusB, pmB))));
        // A retry of the same request is refused again: cached now, still no intent.
        assertNotOwned(send(pay(firstUseBase, keyA, keys.get(0), payment(cusB, "pm_card_visa"))));

        // A fence: A's own payment after the refused ones is the only record that reaches Kafka.
        String fence = "a-fence-" + run;
        assertThat(send(pay(firstUseBase, keyA, fence, payment(cusA, "pm_card_visa")))
                        .statusCode())
                .isEqualTo(202);
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false))
                .extracting(ConsumerRecord::key)
                .containsExactly(PaymentIds.paymentId(tenantA, fence));
        for (String k : keys) {
            assertThat(intents(tenantA, k)).as(k).isZero();
        }
        assertThat(notOwnedCount(firstUse) - refusedBefore).isEqualTo(4.0);
        // The refused customer and card stay B's; the payment with A's customer and B's card did not
        // register A's customer to anyone else.
        assertThat(owner("customer", cusB)).isEqualTo(tenantB);
        assertThat(owner("payment_method", pmB)).isEqualTo(tenantB);
        assertThat(owner("customer", cusA)).isEqualTo(tenantA);
    }

    @Test
    void aTenantReusesItsOwnCustomerAndSharedTestTokensBelongToNoOne() throws Exception {
        String cus = "cus_reuse_" + run;
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r =
                    send(pay(firstUseBase, keyA, "reuse-" + i + "-" + run, payment(cus, "pm_x_" + run)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        }
        // pm_card_visa is Stripe's shared test token: both tenants use it, neither owns it.
        assertThat(send(pay(firstUseBase, keyA, "tok-a-" + run, payment("cus_tok_a_" + run, "pm_card_visa")))
                        .statusCode())
                .isEqualTo(202);
        assertThat(send(pay(firstUseBase, keyB, "tok-b-" + run, payment("cus_tok_b_" + run, "pm_card_visa")))
                        .statusCode())
                .isEqualTo(202);
        assertThat(owner("payment_method", "pm_card_visa")).isNull();
    }

    @Test
    void registrationIsIdempotentForItsTenantAndExclusiveAcrossTenants() throws Exception {
        String cus = "cus_reg_" + run;
        HttpResponse<String> created = register(firstUseBase, keyA, customer(cus, "pm_reg1_" + run));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(new JsonObject(created.body()).getString("customer_id")).isEqualTo(cus);
        HttpResponse<String> again = register(firstUseBase, keyA, customer(cus, "pm_reg1_" + run));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        // Adding a payment method to one's own customer registers it.
        assertThat(register(firstUseBase, keyA, customer(cus, "pm_reg1_" + run, "pm_reg2_" + run))
                        .statusCode())
                .isEqualTo(201);

        // B asks for A's customer together with a new card: 409, and not even the card is registered.
        HttpResponse<String> taken = register(firstUseBase, keyB, customer(cus, "pm_reg3_" + run));
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(409);
        assertThat(taken.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(new JsonObject(taken.body()).getString("type")).endsWith("/customer-owned-elsewhere");
        assertThat(taken.body()).doesNotContain(tenantA);
        assertThat(owner("payment_method", "pm_reg3_" + run)).isNull();
        // B's own customer with A's card: 409 too.
        assertThat(register(firstUseBase, keyB, customer("cus_regb_" + run, "pm_reg2_" + run))
                        .statusCode())
                .isEqualTo(409);
        assertThat(owner("customer", "cus_regb_" + run)).isNull();

        // A shared test token cannot be owned; bad input is a 400 problem.
        HttpResponse<String> shared = register(firstUseBase, keyA, customer("cus_shared_" + run, "pm_card_visa"));
        assertThat(shared.statusCode()).as(shared.body()).isEqualTo(400);
        assertThat(register(firstUseBase, keyA, "{\"customer_id\":\"\"}").statusCode())
                .isEqualTo(400);
        assertThat(register(firstUseBase, keyA, "{\"customer_id\":\"c\",\"colour\":1}")
                        .statusCode())
                .isEqualTo(400);

        // Payments follow the registry: A pays with its registered customer and card, B cannot.
        assertThat(send(pay(firstUseBase, keyA, "reg-a-" + run, payment(cus, "pm_reg2_" + run)))
                        .statusCode())
                .isEqualTo(202);
        assertNotOwned(send(pay(firstUseBase, keyB, "reg-b-" + run, payment(cus, "pm_card_visa"))));
    }

    /**
     * The production defaults (issue 19 §1): no trust on first use. A tenant's payment with a customer
     * nobody registered is refused 422 customer-not-owned, neither reserved nor published (so no
     * processor can charge it) nor registered, until the tenant registers it with POST /v1/customers.
     * Seen failing with first use back as the default (every refused payment got 202).
     */
    @Test
    void withProductionDefaultsOnlyRegisteredIdsCanBeCharged() throws Exception {
        // Readiness on the management listener names trust on first use where it is on, and not here
        // (both list verifyWithProvider=false, set for this test; CustomerVerificationIT checks it).
        assertThat(firstUseModes(registeredOnly)).isEmpty();
        assertThat(firstUseModes(firstUse)).singleElement().asString().startsWith(OwnershipConfig.FIRST_USE + "=true");

        String cus = "cus_explicit_" + run;
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        double refusedBefore = notOwnedCount(registeredOnly);
        assertNotOwned(send(pay(registeredOnlyBase, keyA, "explicit-1-" + run, payment(cus, "pm_card_visa"))));
        // A retry is refused again; another tenant's unregistered customer with its own card as well.
        assertNotOwned(send(pay(registeredOnlyBase, keyA, "explicit-1-" + run, payment(cus, "pm_card_visa"))));
        assertNotOwned(send(
                pay(registeredOnlyBase, keyB, "explicit-0-" + run, payment("cus_b_new_" + run, "pm_b_new_" + run))));
        assertThat(notOwnedCount(registeredOnly) - refusedBefore).isEqualTo(3.0);
        assertThat(owner("customer", cus)).isNull();
        assertThat(owner("customer", "cus_b_new_" + run)).isNull();
        assertThat(owner("payment_method", "pm_b_new_" + run)).isNull();
        assertThat(intents(tenantA, "explicit-1-" + run)).isZero();
        assertThat(intents(tenantB, "explicit-0-" + run)).isZero();

        assertThat(register(registeredOnlyBase, keyA, customer(cus)).statusCode())
                .isEqualTo(201);
        assertThat(owner("customer", cus)).isEqualTo(tenantA);
        HttpResponse<String> r = send(pay(registeredOnlyBase, keyA, "explicit-2-" + run, payment(cus, "pm_card_visa")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        // A fence: the registered customer's payment is the only record the refused ones left in Kafka.
        assertThat(TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false))
                .extracting(ConsumerRecord::key)
                .containsExactly(PaymentIds.paymentId(tenantA, "explicit-2-" + run));
        // A card never registered is refused as well; a shared token needs no registration.
        assertNotOwned(send(pay(registeredOnlyBase, keyA, "explicit-3-" + run, payment(cus, "pm_unreg_" + run))));
        // Another tenant is refused for the registered customer.
        assertNotOwned(send(pay(registeredOnlyBase, keyB, "explicit-4-" + run, payment(cus, "pm_card_visa"))));
    }

    @Test
    void concurrentFirstUsesByTwoTenantsEndWithExactlyOneOwner() throws Exception {
        // 20 customers, each first used by A and B at once: 40 requests in flight together, so some
        // pairs share a batch (linger 50 ms) and some meet in two lanes' statements.
        int customers = 20;
        List<CompletableFuture<HttpResponse<String>>> a = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> b = new ArrayList<>();
        for (int i = 0; i < customers; i++) {
            String body = payment("cus_race_" + i + "_" + run, "pm_race_" + i + "_" + run);
            a.add(http.sendAsync(
                    pay(firstUseBase, keyA, "race-a-" + i + "-" + run, body), HttpResponse.BodyHandlers.ofString()));
            b.add(http.sendAsync(
                    pay(firstUseBase, keyB, "race-b-" + i + "-" + run, body), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < customers; i++) {
            HttpResponse<String> ra = a.get(i).get(30, TimeUnit.SECONDS);
            HttpResponse<String> rb = b.get(i).get(30, TimeUnit.SECONDS);
            String owner = owner("customer", "cus_race_" + i + "_" + run);
            assertThat(owner).isIn(tenantA, tenantB);
            assertThat(owner("payment_method", "pm_race_" + i + "_" + run)).isEqualTo(owner);
            // Exactly the owner's payment went through; the other got 422 and no reservation.
            HttpResponse<String> won = owner.equals(tenantA) ? ra : rb;
            HttpResponse<String> lost = owner.equals(tenantA) ? rb : ra;
            assertThat(won.statusCode()).as(won.body()).isEqualTo(202);
            assertNotOwned(lost);
            String lostTenant = owner.equals(tenantA) ? tenantB : tenantA;
            String lostKey = (owner.equals(tenantA) ? "race-b-" : "race-a-") + i + "-" + run;
            assertThat(intents(lostTenant, lostKey)).isZero();
        }
    }
}
