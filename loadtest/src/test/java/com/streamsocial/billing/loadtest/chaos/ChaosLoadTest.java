package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos load as a real client, against a scripted HTTP peer standing in for a gateway (this tests
 * the client, not the gateway): every answer that is not definite is retried with the same
 * Idempotency-Key until a definite one or the deadline, and what it learnt is kept per payment.
 */
class ChaosLoadTest {
    private static final String PREFIX = "t-";
    private final Map<String, AtomicInteger> triesByKey = new ConcurrentHashMap<>();
    private Vertx vertx;
    private HttpServer server;

    @BeforeEach
    void startFakeGateway() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer()
                .requestHandler(r -> r.body().onComplete(b -> answer(r)))
                .listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /**
     * Key 0: a 202 whose body breaks off, then a 202. Key 1: 422. Key 2: 503 for ever. Key 3 and on:
     * 503, then 409, then 202 (a replay, as a retry after an accepted commit gets).
     */
    private void answer(HttpServerRequest r) {
        String key = r.getHeader("Idempotency-Key");
        int attempt = triesByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        int seq = Integer.parseInt(key.substring(PREFIX.length()));
        var resp = r.response();
        if (seq == 0 && attempt == 1) {
            resp.setStatusCode(202).putHeader("Content-Length", "100").write("{\"id\":");
            resp.reset();
        } else if (seq == 1) {
            resp.setStatusCode(422).end("{}");
        } else if (seq == 2 || (seq > 2 && attempt == 1)) {
            resp.setStatusCode(503).end("{}");
        } else if (seq > 2 && attempt == 2) {
            resp.setStatusCode(409).end("{}");
        } else {
            resp.setStatusCode(202).end("{}");
        }
    }

    /** Until {@code n} payments were sent (the first request of a cold JVM holds the event loop a while). */
    private static void awaitSent(ChaosLoad load, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (load.clients().size() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    private static String id(int seq) {
        return PaymentIds.paymentId("default", PREFIX + seq);
    }

    @Test
    void everyAnswerThatIsNotDefiniteIsRetriedWithTheSameKeyUntilADefiniteOneOrTheDeadline() throws Exception {
        ChaosLoad load =
                new ChaosLoad(vertx, List.of(server.actualPort()), 40, PREFIX, "default", "sk").retrying(1_500);
        load.start();
        awaitSent(load, 4);
        load.stop();
        List<String> open = load.awaitAnswers();
        load.close();
        assertThat(open).as("nothing given up silently").isEmpty();
        Map<String, ChaosLoad.Client> c = load.clients();
        assertThat(c).hasSizeGreaterThanOrEqualTo(4);
        assertThat(c.get(id(0)).answer()).isEqualTo(Answer.ACCEPTED);
        assertThat(c.get(id(0)).tries())
                .as("the 202 whose body broke off was retried")
                .isEqualTo(2);
        assertThat(c.get(id(1)).answer()).isEqualTo(Answer.REJECTED);
        assertThat(c.get(id(1)).tries()).isEqualTo(1);
        assertThat(c.get(id(2)).answer()).isEqualTo(Answer.UNKNOWN);
        assertThat(c.get(id(2)).done()).isTrue();
        assertThat(c.get(id(2)).tries()).as("retried until the deadline").isGreaterThanOrEqualTo(3);
        assertThat(c.get(id(3)).answer()).isEqualTo(Answer.ACCEPTED);
        assertThat(c.get(id(3)).tries()).as("503 and 409 retried").isEqualTo(3);
        // The server saw each retry under the payment's own key, and nothing else.
        assertThat(triesByKey.get(PREFIX + 3).get()).isEqualTo(3);
        assertThat(triesByKey.keySet()).allMatch(k -> c.containsKey(PaymentIds.paymentId("default", k)));
        assertThat(load.answers().get(id(3))).isEqualTo(Answer.ACCEPTED);
        assertThat(load.offers()).hasSize(c.size());
    }

    @Test
    void withoutRetryingA503IsUnknownAfterOneTry() throws Exception {
        ChaosLoad load = new ChaosLoad(vertx, List.of(server.actualPort()), 40, PREFIX, "default", "sk");
        load.start();
        awaitSent(load, 4);
        load.stop();
        load.awaitAnswers();
        load.close();
        assertThat(load.clients()).as(triesByKey.toString()).containsKey(id(3));
        assertThat(load.clients().get(id(3)).answer()).isEqualTo(Answer.UNKNOWN);
        assertThat(triesByKey.get(PREFIX + 3).get()).isEqualTo(1);
    }
}
