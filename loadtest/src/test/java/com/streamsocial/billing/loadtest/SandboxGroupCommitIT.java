package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's group commit on real PostgreSQL: many concurrent charges, every key sent several
 * times at once, so that claims and answers of one key land in the same and in successive batches.
 * Each key charges exactly once, every answer under a key is its first answer, every charge is
 * stored with its answer and balance transaction, and overload is refused before any effect. A
 * refund commits with its answer: a store that fails undoes the refund, so the key asked again once
 * abandoned refunds once.
 */
class SandboxGroupCommitIT {
    private static final String SECRET = "sk_test_group";
    private static EmbeddedPg pg;
    private static Vertx vertx;
    private static HttpClient http;
    private static Pg db;
    private static int port;

    private record Response(int status, JsonObject body, boolean replayed, String retryAfter) {}

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        vertx = Vertx.vertx();
        port = FreePorts.pick();
        ProviderStack.await(
                vertx.deployVerticle(new SandboxProvider("127.0.0.1", port, pg.uri(), SECRET, SandboxFaults.NONE)));
        http = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(200));
        db = new Pg(vertx, pg.uri());
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
        if (vertx != null) {
            ProviderStack.await(vertx.close());
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static String form(long amount, String method, String paymentId) {
        Map<String, String> f = new java.util.LinkedHashMap<>();
        f.put("amount", Long.toString(amount));
        f.put("currency", "usd");
        f.put("payment_method", method);
        f.put("confirm", "true");
        f.put("automatic_payment_methods[enabled]", "true");
        f.put("automatic_payment_methods[allow_redirects]", "never");
        f.put("metadata[payment_id]", paymentId);
        return f.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static Future<Response> post(int port, String key, String form) {
        return post(port, "/v1/payment_intents", key, form);
    }

    private static Future<Response> post(int port, String path, String key, String form) {
        return http.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setHost("127.0.0.1")
                        .setPort(port)
                        .setURI(path))
                .compose(req -> {
                    req.putHeader("Authorization", "Bearer " + SECRET)
                            .putHeader("content-type", "application/x-www-form-urlencoded");
                    if (key != null) {
                        req.putHeader("Idempotency-Key", key);
                    }
                    return req.send(form)
                            .compose(resp -> resp.body()
                                    .map(b -> new Response(
                                            resp.statusCode(),
                                            new JsonObject(b),
                                            "true".equals(resp.getHeader("Idempotent-Replayed")),
                                            resp.getHeader("Retry-After"))));
                });
    }

    /** Asks again while the key is in use (409), as a client following Stripe's advice does. */
    private static Future<Response> postUntilNotInUse(int port, String key, String form) {
        return post(port, key, form)
                .compose(r -> r.status() == 409
                        ? vertx.timer(5).compose(v -> postUntilNotInUse(port, key, form))
                        : Future.succeededFuture(r));
    }

    private static <T> List<T> all(List<Future<T>> futures) throws Exception {
        return ProviderStack.await(Future.all(futures).map(c -> c.<T>list()));
    }

    private static final int KEYS = 300;
    private static final int DECLINES = 50;
    private static final int UNKEYED = 50;
    private static final int REPEATS = 4;

    /** One request of the concurrent run: its key, and whether it is a charge, a decline or unkeyed. */
    private record Sent(String key, String kind) {}

    @Test
    void manyConcurrentRequestsWithRepeatedKeysChargeEachKeyExactlyOnceAndAnswerItsFirstAnswer() throws Exception {
        List<Sent> sends = sendsShuffled();
        List<Future<Response>> futures = new ArrayList<>();
        for (Sent s : sends) {
            String method = s.kind().equals("decline") ? "pm_card_chargeDeclined" : "pm_card_visa";
            String body = form(1_000, method, s.key());
            futures.add(postUntilNotInUse(port, s.kind().equals("unkeyed") ? null : s.key(), body));
        }
        List<Response> answers = all(futures);
        Set<String> answeredCharges = eachKeyGotItsFirstAnswer(sends, answers);
        theChargesAnsweredAreTheChargesStored(answeredCharges);
        otherParametersUnderAUsedKeyChargeNothing();
    }

    /** Every key sent {@link #REPEATS} times (declines too), the unkeyed once; in a seeded random order. */
    private static List<Sent> sendsShuffled() {
        List<Sent> sends = new ArrayList<>();
        for (int k = 0; k < KEYS; k++) {
            for (int r = 0; r < REPEATS; r++) {
                sends.add(new Sent("gc-" + k, "visa"));
            }
        }
        for (int k = 0; k < DECLINES; k++) {
            for (int r = 0; r < REPEATS; r++) {
                sends.add(new Sent("gcd-" + k, "decline"));
            }
        }
        for (int k = 0; k < UNKEYED; k++) {
            sends.add(new Sent("gcu-" + k, "unkeyed"));
        }
        Collections.shuffle(sends, new Random(42));
        return sends;
    }

    /** One first answer per key, the rest replays of it; returns the charges answered. */
    private static Set<String> eachKeyGotItsFirstAnswer(List<Sent> sends, List<Response> answers) {
        Map<String, List<Response>> byKey = new HashMap<>();
        for (int i = 0; i < sends.size(); i++) {
            byKey.computeIfAbsent(sends.get(i).key(), k -> new ArrayList<>()).add(answers.get(i));
        }
        Set<String> answeredCharges = new HashSet<>();
        for (Map.Entry<String, List<Response>> e : byKey.entrySet()) {
            List<Response> rs = e.getValue();
            String key = e.getKey();
            int expectedStatus = key.startsWith("gcd-") ? 402 : 200;
            assertThat(rs).as(key).allSatisfy(r -> assertThat(r.status()).isEqualTo(expectedStatus));
            assertThat(rs.stream().filter(r -> !r.replayed()).count())
                    .as("%s: one first answer, the rest replays of it", key)
                    .isEqualTo(1);
            assertThat(rs.stream().map(r -> r.body().encode()).distinct().count())
                    .as("%s: every answer is the first answer", key)
                    .isEqualTo(1);
            if (expectedStatus == 200) {
                answeredCharges.add(rs.get(0).body().getString("latest_charge"));
            }
        }
        assertThat(answeredCharges).hasSize(KEYS + UNKEYED);
        return answeredCharges;
    }

    private static void theChargesAnsweredAreTheChargesStored(Set<String> answeredCharges) throws Exception {
        assertThat(db.count("SELECT count(*) FROM sandbox.charges WHERE idempotency_key LIKE 'gc-%'"))
                .isEqualTo(KEYS);
        assertThat(
                        db.count(
                                "SELECT count(DISTINCT idempotency_key) FROM sandbox.charges WHERE idempotency_key LIKE 'gc-%'"))
                .isEqualTo(KEYS);
        assertThat(db.count("SELECT count(*) FROM sandbox.charges WHERE idempotency_key LIKE 'gcd-%'"))
                .isZero();
        assertThat(
                        db.count(
                                "SELECT count(*) FROM sandbox.charges WHERE idempotency_key IS NULL AND payment_id LIKE 'gcu-%'"))
                .isEqualTo(UNKEYED);
        // The charges answered are the charges stored, each with its balance transaction.
        assertThat(db.strings("SELECT id FROM sandbox.charges WHERE payment_id LIKE 'gc-%' OR payment_id LIKE 'gcu-%'"))
                .containsExactlyInAnyOrderElementsOf(answeredCharges);
        assertThat(db.count("""
                        SELECT count(*) FROM sandbox.balance_transactions b JOIN sandbox.charges c ON c.id = b.charge
                        WHERE b.type = 'charge' AND (c.payment_id LIKE 'gc-%' OR c.payment_id LIKE 'gcu-%')""")).isEqualTo(KEYS + UNKEYED);
        // Every charge is stored with its key's final answer, which names it.
        assertThat(db.count("""
                        SELECT count(*) FROM sandbox.charges c JOIN sandbox.idempotency i ON i.key = c.idempotency_key
                        WHERE c.idempotency_key LIKE 'gc-%' AND i.state = 'done' AND i.status = 200
                          AND position(c.id IN i.body) > 0""")).isEqualTo(KEYS);
        assertThat(db.count("""
                        SELECT count(*) FROM sandbox.idempotency
                        WHERE key LIKE 'gcd-%' AND state = 'done' AND status = 402""")).isEqualTo(DECLINES);
        assertThat(
                        db.count(
                                "SELECT count(*) FROM sandbox.intents WHERE idempotency_key LIKE 'gcd-%' AND status = 'requires_payment_method'"))
                .isEqualTo(DECLINES);
    }

    /** Other parameters under a used key: idempotency_error, and nothing charged. */
    private static void otherParametersUnderAUsedKeyChargeNothing() throws Exception {
        List<Future<Response>> changed = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            changed.add(post(port, "gc-" + k, form(2_000, "pm_card_visa", "gc-" + k)));
        }
        assertThat(all(changed)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body().getJsonObject("error").getString("type")).isEqualTo("idempotency_error");
        });
        assertThat(db.count("SELECT count(*) FROM sandbox.charges WHERE idempotency_key LIKE 'gc-%'"))
                .isEqualTo(KEYS);
    }

    @Test
    void aRefundCommitsWithItsAnswerSoAStoreThatFailsNeverRefundsTwice() throws Exception {
        Response charged = ProviderStack.await(post(port, "rf-charge", form(1_000, "pm_card_visa", "rf-1")));
        assertThat(charged.status()).isEqualTo(200);
        String charge = charged.body().getString("latest_charge");
        String refund = "charge=" + charge + "&amount=1000&metadata%5Brefund_id%5D=rf-refund";
        String refunds = "SELECT count(*) FROM sandbox.refunds WHERE charge = '" + charge + "'";
        // The fault: storing rf-refund's answer fails, as when PostgreSQL goes away after the refund's
        // statements and before the answer's.
        db.exec("CREATE TABLE public.fail_answer_store (key text PRIMARY KEY)");
        db.exec("""
                CREATE FUNCTION public.fail_answer_store() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.state = 'done' AND EXISTS (SELECT 1 FROM public.fail_answer_store f WHERE f.key = NEW.key) THEN
                        RAISE EXCEPTION 'answer store fails (a fault the test injects)';
                    END IF;
                    RETURN NEW;
                END $$""");
        db.exec("""
                CREATE TRIGGER fail_answer_store BEFORE UPDATE ON sandbox.idempotency
                FOR EACH ROW EXECUTE FUNCTION public.fail_answer_store()""");
        try {
            db.exec("INSERT INTO public.fail_answer_store VALUES ('rf-refund')");
            Response failed = ProviderStack.await(post(port, "/v1/refunds", "rf-refund", refund));
            assertThat(failed.status()).isEqualTo(500);
            assertThat(db.count(refunds))
                    .as("a refund whose answer was not stored was not made")
                    .isZero();
            // Asked again (its key released, or abandoned after a crash as aged here): one refund.
            db.exec("DELETE FROM public.fail_answer_store");
            db.exec(
                    "UPDATE sandbox.idempotency SET created_at = now() - interval '10 minutes' WHERE key = 'rf-refund'");
            Response refunded = ProviderStack.await(post(port, "/v1/refunds", "rf-refund", refund));
            assertThat(refunded.status()).as(refunded.body().encode()).isEqualTo(200);
            assertThat(refunded.body().getString("status")).isEqualTo("succeeded");
            Response replayed = ProviderStack.await(post(port, "/v1/refunds", "rf-refund", refund));
            assertThat(replayed.replayed()).isTrue();
            assertThat(replayed.body().encode()).isEqualTo(refunded.body().encode());
        } finally {
            db.exec("DROP TRIGGER fail_answer_store ON sandbox.idempotency");
        }
        assertThat(db.count(refunds)).isEqualTo(1);
        assertThat(db.count(
                        "SELECT coalesce(sum(amount), 0) FROM sandbox.balance_transactions WHERE type = 'refund' AND charge = '"
                                + charge + "'"))
                .isEqualTo(-1_000);
    }

    @Test
    void overTheAdmissionBoundARequestIsRefusedWith429BeforeAnyEffectAndChargesOnceWhenAskedAgain() throws Exception {
        int slowPort = FreePorts.pick();
        // Slow charges (2 s each) and room for 8: most of 40 simultaneous requests are refused.
        ProviderStack.await(vertx.deployVerticle(new SandboxProvider(
                "127.0.0.1",
                slowPort,
                pg.uri(),
                SECRET,
                new SandboxFaults(2_000, 2_000, 0, 0, 0, 0),
                new SandboxProvider.Limits(4, 8, 0))));
        int n = 40;
        List<Future<Response>> futures = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            futures.add(post(slowPort, "ov-" + k, form(500, "pm_card_visa", "ov-" + k)));
        }
        List<Response> first = all(futures);
        List<Integer> refused = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Response r = first.get(k);
            assertThat(r.status()).as("ov-" + k).isIn(200, 429);
            if (r.status() == 429) {
                refused.add(k);
                assertThat(r.retryAfter()).isEqualTo("1");
                assertThat(r.body().getJsonObject("error").getString("code")).isEqualTo("rate_limit");
            }
        }
        assertThat(refused).isNotEmpty();
        assertThat(n - refused.size()).isLessThanOrEqualTo(8);
        assertThat(db.count("SELECT count(*) FROM sandbox.charges WHERE idempotency_key LIKE 'ov-%'"))
                .isEqualTo(n - refused.size());
        // A refused request left nothing behind: not even its key, so asking again charges once.
        assertThat(db.count("SELECT count(*) FROM sandbox.idempotency WHERE key LIKE 'ov-%'"))
                .isEqualTo(n - refused.size());
        JsonObject stats =
                ProviderStack.await(http.request(HttpMethod.GET, slowPort, "127.0.0.1", "/sandbox/charges/stats")
                        .compose(req -> req.send().compose(resp -> resp.body().map(b -> new JsonObject(b)))));
        assertThat(stats.getLong("requests_refused_overloaded")).isEqualTo(refused.size());
        for (int from = 0; from < refused.size(); from += 8) {
            List<Future<Response>> again = new ArrayList<>();
            for (int k : refused.subList(from, Math.min(refused.size(), from + 8))) {
                again.add(post(slowPort, "ov-" + k, form(500, "pm_card_visa", "ov-" + k)));
            }
            assertThat(all(again)).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.replayed()).isFalse();
            });
        }
        assertThat(db.count("SELECT count(*) FROM sandbox.charges WHERE idempotency_key LIKE 'ov-%'"))
                .isEqualTo(n);
        assertThat(
                        db.count(
                                "SELECT count(DISTINCT idempotency_key) FROM sandbox.charges WHERE idempotency_key LIKE 'ov-%'"))
                .isEqualTo(n);
    }
}
