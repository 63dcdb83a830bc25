package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.MetricsBatch;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.kafka.TransactionalSession;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.StallingKafkaProxy;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, item 2, the gateway's side: a batch's {@code commitTransaction} times out after the broker
 * committed (a proxy in front of a dedicated broker holds the EndTxn answer past the producer's
 * {@code max.block.ms}). Held a little longer than that, the retried commit settles it and every
 * client gets {@code 202}. Held past every retry, the producer is recreated and the batch is settled
 * from payments.billing at once: its clients' retries are replays, never a second publication, long
 * before the (here ten-minute) reservation timeout could free the keys. Either way each payment has
 * exactly one billing and one metrics event under read_committed.
 */
class GatewayCommitTimeoutIT {
    private static final long MAX_BLOCK_MS = 2_000;
    /** Far beyond the test's deadlines: only settling the batch can free its keys in time. */
    private static final long RESERVATION_TIMEOUT_MS = 600_000;
    /** How long a client keeps retrying one key; a tenth of the reservation timeout. */
    private static final long CLIENT_RETRY_DEADLINE_MS = 60_000;

    private static final HttpClient http = HttpClient.newHttpClient();
    private static EmbeddedPg pg;
    private static StallingKafkaProxy proxy;
    private static EmbeddedKafka kafka;
    private static Vertx vertx;
    private static Gateway gateway;
    private static String base;
    /** A key of the tenant "default", made in this test's PostgreSQL. */
    private static String apiKey;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        apiKey = TenantKeys.create(pg.uri(), "default");
        int brokerPort = FreePorts.pick();
        int proxyPort = FreePorts.pick();
        proxy = new StallingKafkaProxy(proxyPort, brokerPort);
        kafka = EmbeddedKafka.startBehindProxy(brokerPort, proxyPort);
        kafka.createTopics(Topics.ALL, 3);
        vertx = Vertx.vertx();
        int port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-commit-timeout-it");
        // One lane: the next transaction after arming the proxy is the test's batch.
        s.put("gateway.producers", "1");
        s.put("gateway.reservationTimeoutMs", String.valueOf(RESERVATION_TIMEOUT_MS));
        // A long linger puts the clients' concurrent first requests into one batch: the held one.
        s.put("gateway.lingerMs", "200");
        s.put("pg.uri", pg.uri());
        s.put("kafka.bootstrap.servers", "127.0.0.1:" + proxyPort);
        // A commit times out after MAX_BLOCK_MS; a request only after 30 s, so the producer does not
        // resend the EndTxn on a new connection while the proxy holds its answer.
        s.put("kafka.max.block.ms", String.valueOf(MAX_BLOCK_MS));
        s.put("kafka.request.timeout.ms", "30000");
        s.put("kafka.delivery.timeout.ms", "31000");
        gateway = Gateway.deploy(vertx, GatewayConfig.from(LocalInfra.singleBrokerSettings(s)), BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(120, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + port;
        // The first transaction also finds the coordinator: let it happen before any hold.
        HttpResponse<String> warm = post("warm-" + Long.toString(System.nanoTime(), 36), 1);
        assertThat(warm.statusCode()).as(warm.body()).isEqualTo(202);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        kafka.close();
        proxy.close();
        pg.close();
    }

    @Test
    void aCommitThatTimesOutOnceIsRetriedAndEveryClientGets202() throws Exception {
        double retriesBefore = Series.counter(gateway.metrics(), "gateway.commit.retries");
        double failedBefore = Series.counter(gateway.metrics(), "gateway.transactions.aborted");
        Marks marks = Marks.now();
        int heldBefore = proxy.held();
        proxy.holdNextEndTxnResponses(1, MAX_BLOCK_MS * 3 / 2);

        String prefix = "retry-" + Long.toString(System.nanoTime(), 36) + "-";
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(http.sendAsync(request(prefix + i, 100 + i), HttpResponse.BodyHandlers.ofString()));
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            HttpResponse<String> r = calls.get(i).get(120, TimeUnit.SECONDS);
            assertThat(r.statusCode())
                    .as("first answer for key %d: %s", i, r.body())
                    .isEqualTo(202);
            assertThat(r.headers().firstValue("Idempotent-Replayed")).isEmpty();
            ids.add(PaymentIds.paymentId("default", prefix + i));
        }
        assertThat(proxy.held()).as("an EndTxn answer was held").isEqualTo(heldBefore + 1);
        assertThat(Series.counter(gateway.metrics(), "gateway.commit.retries"))
                .as("the commit timed out and was tried again")
                .isGreaterThan(retriesBefore);
        assertThat(Series.counter(gateway.metrics(), "gateway.transactions.aborted"))
                .as("no transaction failed")
                .isEqualTo(failedBefore);
        marks.assertOneBillingAndOneMetricsEventEach(ids);
    }

    @Test
    void aCommitThatStaysUnknownIsSettledAtOnceAndItsRetriesAreReplays() throws Exception {
        double acceptedBefore = Series.counter(gateway.metrics(), "gateway.unknown.commit.reservations.accepted");
        double releasedBefore = Series.counter(gateway.metrics(), "gateway.unknown.commit.reservations.released");
        Marks marks = Marks.now();
        int heldBefore = proxy.held();
        // Longer than the first commit and every retry together: only the recreated producer's
        // initTransactions decides the transaction (the broker committed it long before).
        proxy.holdNextEndTxnResponses(1, MAX_BLOCK_MS * TransactionalSession.COMMIT_CALLS_MAX + 4_000);

        // Clients that retry their key until they get a 202, as a payments client does.
        String prefix = "unknown-" + Long.toString(System.nanoTime(), 36) + "-";
        int n = 20;
        ExecutorService clients = Executors.newFixedThreadPool(n);
        List<CompletableFuture<ClientRun>> runs = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String key = prefix + i;
                long amount = 200 + i;
                runs.add(CompletableFuture.supplyAsync(() -> retryUntilAccepted(key, amount), clients));
            }
            List<String> ids = new ArrayList<>();
            List<String> unknownBatch = new ArrayList<>();
            long longestMs = 0;
            for (CompletableFuture<ClientRun> f : runs) {
                ClientRun run = f.get(CLIENT_RETRY_DEADLINE_MS + 60_000, TimeUnit.MILLISECONDS);
                assertThat(run.last.statusCode())
                        .as(
                                "key %s after %d tries in %d ms (the reservation timeout is %d ms): %s",
                                run.key, run.tries, run.elapsedMs, RESERVATION_TIMEOUT_MS, run.last.body())
                        .isEqualTo(202);
                ids.add(run.id());
                longestMs = Math.max(longestMs, run.elapsedMs);
                if (run.first == 503) {
                    unknownBatch.add(run.id());
                    assertThat(run.last.headers().firstValue("Idempotent-Replayed"))
                            .as("the retry of %s, whose batch had committed, is a replay", run.key)
                            .hasValue("true");
                }
            }
            System.out.printf(
                    "UNKNOWN COMMIT: %d of %d clients got 503 first; longest first try to 202: %d ms%n",
                    unknownBatch.size(), n, longestMs);
            assertThat(proxy.held()).as("an EndTxn answer was held").isEqualTo(heldBefore + 1);
            assertThat(unknownBatch)
                    .as("the batch whose commit stayed unknown answered 503")
                    .isNotEmpty();
            assertThat(Series.counter(gateway.metrics(), "gateway.unknown.commit.reservations.accepted"))
                    .as("that batch was found published and settled as accepted")
                    .isEqualTo(acceptedBefore + unknownBatch.size());
            assertThat(Series.counter(gateway.metrics(), "gateway.unknown.commit.reservations.released"))
                    .isEqualTo(releasedBefore);
            marks.assertOneBillingAndOneMetricsEventEach(ids);
            // The lane goes on with its new producer.
            HttpResponse<String> after = post(prefix + "after", 1);
            assertThat(after.statusCode()).as(after.body()).isEqualTo(202);
        } finally {
            clients.shutdownNow();
        }
    }

    /** One client's key: its first answer, its last, and how many tries it took. */
    private record ClientRun(String key, int first, HttpResponse<String> last, int tries, long elapsedMs) {
        String id() {
            return PaymentIds.paymentId("default", key);
        }
    }

    /** Retries on 409 and 503 (after a short pause) until 202 or the deadline; never on anything else. */
    private static ClientRun retryUntilAccepted(String key, long amount) {
        long start = System.currentTimeMillis();
        int first = 0;
        int tries = 0;
        HttpResponse<String> r;
        try {
            while (true) {
                r = http.send(request(key, amount), HttpResponse.BodyHandlers.ofString());
                tries++;
                if (first == 0) {
                    first = r.statusCode();
                }
                boolean retriable = r.statusCode() == 409 || r.statusCode() == 503;
                if (!retriable || System.currentTimeMillis() - start > CLIENT_RETRY_DEADLINE_MS) {
                    return new ClientRun(key, first, r, tries, System.currentTimeMillis() - start);
                }
                Thread.sleep(250);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest request(String key, long amount) {
        String body = new JsonObject()
                .put("amount", amount)
                .put("currency", "EUR")
                .put("customer_id", "cus_t")
                .put("payment_method", "pm_card_visa")
                .put("description", "commit timeout")
                .put("metadata", new JsonObject())
                .encode();
        return HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static HttpResponse<String> post(String key, long amount) throws Exception {
        return http.send(request(key, amount), HttpResponse.BodyHandlers.ofString());
    }

    /** End offsets of payments.billing and payments.metrics before a test, to count what it added. */
    private record Marks(Map<TopicPartition, Long> billing, Map<TopicPartition, Long> metrics) {
        static Marks now() {
            return new Marks(
                    TopicReader.endOffsets(kafka.bootstrapServers(), Topics.BILLING),
                    TopicReader.endOffsets(kafka.bootstrapServers(), Topics.METRICS));
        }

        /** Exactly one event per id on each topic (read_committed), and nothing else since the marks. */
        void assertOneBillingAndOneMetricsEventEach(List<String> ids) {
            List<String> billed = TopicReader.readFrom(kafka.bootstrapServers(), Topics.BILLING, billing, true).stream()
                    .map(ConsumerRecord::key)
                    .toList();
            assertThat(billed).as("events on %s", Topics.BILLING).containsExactlyInAnyOrderElementsOf(ids);
            // One analytics record a batch: the ids it holds, each once.
            List<String> counted = MetricsBatch.allIds(
                    TopicReader.readFrom(kafka.bootstrapServers(), Topics.METRICS, metrics, true).stream()
                            .map(ConsumerRecord::value)
                            .toList());
            assertThat(counted).as("payments in %s", Topics.METRICS).containsExactlyInAnyOrderElementsOf(ids);
        }
    }
}
