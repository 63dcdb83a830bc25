package com.streamsocial.billing.processor.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.processor.psp.ProviderAddress;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6, Stripe's report and refunds against a hostile local endpoint (a fake of the provider,
 * on loopback): pages are capped, the refund form is URL-encoded, failures never carry the body, and
 * a redirect is not followed (so the Bearer header goes nowhere else).
 */
class StripeSettlementsTest {
    private static final String SECRET = "sk_test_settlements_secret";

    private Vertx vertx;
    private WebClient web;
    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        web = WebClient.create(vertx, ProviderAddress.options(false, 5_000));
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private String serve(Consumer<io.vertx.core.http.HttpServerRequest> handler) {
        server = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(b -> {
                    seen.add(req.method() + " " + req.uri() + " auth=" + req.getHeader("Authorization") + " body="
                            + b.toString());
                    handler.accept(req);
                }))
                .listen(0, "127.0.0.1")
                .await();
        return "http://127.0.0.1:" + server.actualPort();
    }

    private SettlementReport stripe(String baseUrl, int pagesMax) {
        return new StripeSettlements(new ProviderAccount("stripe", baseUrl, SECRET, null, null), web, pagesMax);
    }

    private static String page(int n, boolean hasMore) {
        JsonObject source = new JsonObject().put("id", "ch_" + n).put("metadata", new JsonObject());
        JsonObject t = new JsonObject()
                .put("id", "txn_" + n)
                .put("type", "charge")
                .put("source", source)
                .put("amount", 100)
                .put("currency", "eur")
                .put("created", 1);
        return new JsonObject()
                .put("data", new JsonArray().add(t))
                .put("has_more", hasMore)
                .encode();
    }

    @Test
    void aReportLongerThanThePageCapFailsAtTheCap() {
        AtomicInteger pages = new AtomicInteger();
        // 8 pages against a cap of 5 (a report that never ends would be the same, only longer).
        String base = serve(req -> {
            int n = pages.incrementAndGet();
            req.response().end(page(n, n < 8));
        });
        List<SettlementReport.Line> lines = new ArrayList<>();
        assertThatThrownBy(() -> vertx.executeBlocking(() -> {
                            stripe(base, 5).read(0, lines::add);
                            return null;
                        })
                        .await())
                .hasMessageContaining("more than 5 pages");
        assertThat(pages.get()).isEqualTo(5);
        assertThat(lines).hasSize(5);
    }

    @Test
    void theRefundFormIsUrlEncodedAndAFailureDoesNotCarryTheBody() {
        String base = serve(
                req -> req.response().setStatusCode(400).end("{\"error\":{\"message\":\"ECHO " + SECRET + "\"}}"));
        assertThatThrownBy(() -> vertx.executeBlocking(() -> {
                            stripe(base, 5).refund("ch_1&amount=1", "orphan & more=yes");
                            return null;
                        })
                        .await())
                .hasMessageContaining("answered 400")
                .hasMessageNotContaining("ECHO")
                .hasMessageNotContaining(SECRET);
        String form = seen.get(0).substring(seen.get(0).indexOf(" body=") + 6);
        List<String> params = new ArrayList<>();
        for (String kv : form.split("&")) {
            params.add(URLDecoder.decode(kv, StandardCharsets.UTF_8));
        }
        assertThat(params).containsExactly("charge=ch_1&amount=1", "metadata[reason]=orphan & more=yes");
    }

    @Test
    void aRedirectIsNotFollowedSoTheBearerHeaderStaysHome() {
        HttpServer elsewhere = vertx.createHttpServer()
                .requestHandler(req -> {
                    seen.add("ELSEWHERE auth=" + req.getHeader("Authorization"));
                    req.response().end(page(1, false));
                })
                .listen(0, "127.0.0.1")
                .await();
        String base = serve(req -> req.response()
                .setStatusCode(302)
                .putHeader("Location", "http://127.0.0.1:" + elsewhere.actualPort() + "/v1/balance_transactions")
                .end());
        assertThatThrownBy(() -> vertx.executeBlocking(() -> {
                            stripe(base, 5).read(0, line -> {});
                            return null;
                        })
                        .await())
                .hasMessageContaining("answered 302");
        assertThat(seen).noneMatch(s -> s.startsWith("ELSEWHERE"));
        assertThat(seen).hasSize(1).allMatch(s -> s.contains("auth=Bearer " + SECRET));
    }
}
