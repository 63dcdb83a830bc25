package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Stripe adapter through its real HTTP client against a tiny server that answers garbage,
 * oversize bodies, 500 and statuses Stripe never sends: each is a transient failure of the charge
 * ({@link ProviderUnavailableException} at the deadline), never an outcome and never a crash; the
 * adapter still charges once the server answers properly.
 */
class StripeProviderHostileAnswerTest {
    private static final String SECRET = "sk_live_hostile_answer_test";
    private static final Charge C = new Charge("pay_1", 1_000, "USD", "cus_1", "pm_card_visa", "default", null);
    private static final String SUCCEEDED =
            "{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"usd\",\"latest_charge\":\"ch_1\"}";

    private Vertx vertx;
    private HttpServer server;
    private volatile Consumer<HttpServerResponse> answer;
    private final AtomicInteger calls = new AtomicInteger();
    private ServiceMetrics metrics;
    private StripeProvider provider;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = await(vertx.createHttpServer()
                .requestHandler(req -> req.body().onComplete(b -> {
                    calls.incrementAndGet();
                    answer.accept(req.response());
                }))
                .listen(0, "127.0.0.1"));
        metrics = new ServiceMetrics();
        provider = new StripeProvider(
                vertx,
                new StripeProvider.Options(
                        "http://127.0.0.1:" + server.actualPort(),
                        SECRET,
                        new ProviderLimits(4, 4, 10_000),
                        1_500,
                        10,
                        50,
                        4_000),
                new ProcessorMeters(metrics));
        // Warm up with generous timeouts (a cold JVM on a busy machine can time out its first calls).
        answer = r -> r.setStatusCode(200).end(SUCCEEDED);
        StripeProvider patient = new StripeProvider(
                vertx,
                new StripeProvider.Options(
                        "http://127.0.0.1:" + server.actualPort(),
                        SECRET,
                        new ProviderLimits(4, 4, 10_000),
                        10_000,
                        10,
                        50,
                        25_000),
                new ProcessorMeters(new ServiceMetrics()));
        for (int i = 0; i < 3; i++) {
            assertThat(await(patient.charge(List.of(C))).get(0).succeeded()).isTrue();
        }
        calls.set(0);
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private Throwable chargeFails() throws Exception {
        try {
            await(provider.charge(List.of(C)));
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the charge was decided");
    }

    private void assertTransient(Throwable failure, String statusLabel) {
        // Only answers of the kind under test: no timeouts or connection errors that could pass for them.
        assertThat(failure.getMessage()).doesNotContain("TimeoutException", "Connection");
        assertThat(failure).isInstanceOf(ProviderUnavailableException.class);
        assertThat(failure.getMessage()).contains("transient").doesNotContain(SECRET);
        assertThat(calls.get()).as(failure.getMessage()).isPositive();
        assertThat(metrics.count("provider.retried", "status", statusLabel, "kind", "transient"))
                .as(metrics.scrape())
                .isPositive();
    }

    @Test
    void garbageIsTransient() throws Exception {
        answer = r -> r.setStatusCode(200).end(Buffer.buffer(new byte[] {'{', (byte) 0xFF, 0, '"', (byte) 0xC0}));
        assertTransient(chargeFails(), "200");
    }

    @Test
    void anOversizeBodyIsTransientAndNotReadToTheEnd() throws Exception {
        // Chunked, so no Content-Length announces it: 1 MiB of a "valid" intent's padding.
        answer = r -> {
            r.setChunked(true).setStatusCode(200);
            r.write("{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"usd\",\"pad\":\"");
            for (int i = 0; i < 64; i++) {
                r.write("x".repeat(16 * 1024));
            }
            r.end("\"}");
        };
        assertTransient(chargeFails(), "oversize");
    }

    @Test
    void a500AndStatusesStripeNeverSendsAreTransient() throws Exception {
        answer = r -> r.setStatusCode(500).end("<html>oops</html>");
        assertTransient(chargeFails(), "500");
        calls.set(0);
        answer = r -> r.setStatusCode(299).end("{\"error\":{\"type\":7,\"message\":[1]}}");
        assertTransient(chargeFails(), "299");
        calls.set(0);
        answer = r -> r.setStatusCode(418).end("null");
        assertTransient(chargeFails(), "418");
    }

    @Test
    void anAnswerEchoingTheKeyDoesNotCarryItIntoTheFailure() throws Exception {
        answer = r ->
                r.setStatusCode(503).end("{\"error\":{\"type\":\"api_error\",\"message\":\"bad key " + SECRET + "\"}}");
        assertTransient(chargeFails(), "503");
    }

    @Test
    void theAnswersMessageIsNotInTheFailureOnlyItsStatusAndTokens() throws Exception {
        // Not our key (that one is masked anyway): a secret and a card number the answer makes up.
        answer = r -> r.setStatusCode(503)
                .end("{\"error\":{\"type\":\"api_error\",\"code\":\"lock_timeout\",\"message\":\""
                        + StripeAnswerTest.HOSTILE_MESSAGE + "\"}}");
        Throwable failure = chargeFails();
        assertTransient(failure, "503");
        assertThat(failure.getMessage())
                .contains("HTTP 503 api_error lock_timeout")
                .doesNotContain("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4242", "Invalid API Key");
    }

    @Test
    void afterHostileAnswersAProperOneIsTheOutcome() throws Exception {
        AtomicInteger n = new AtomicInteger();
        answer = r -> {
            switch (n.getAndIncrement()) {
                case 0 -> r.setStatusCode(200).end("[[[[");
                case 1 -> r.setStatusCode(200).end("{\"id\":1,\"status\":\"succeeded\",\"amount\":\"1000\"}");
                case 2 -> r.setStatusCode(600).end("?");
                default -> r.setStatusCode(200).end(SUCCEEDED);
            }
        };
        ChargeResult r = await(provider.charge(List.of(C))).get(0);
        assertThat(r.succeeded()).isTrue();
        assertThat(r.providerRef()).isEqualTo("ch_1");
        assertThat(n.get()).isGreaterThanOrEqualTo(4);
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
