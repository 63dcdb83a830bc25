package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.stack.EmbeddedPg;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.stack.sandbox.SandboxProvider;
import com.stripe.StripeClient;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.CardException;
import com.stripe.exception.IdempotencyException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.model.BalanceTransaction;
import com.stripe.model.Charge;
import com.stripe.model.PaymentIntent;
import com.stripe.model.Refund;
import com.stripe.net.RequestOptions;
import com.stripe.param.BalanceTransactionListParams;
import com.stripe.param.PaymentIntentCreateParams;
import com.stripe.param.RefundCreateParams;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sandbox driven by Stripe's own Java client (stripe-java): if the client accepts its answers and
 * raises the right typed errors, the sandbox speaks Stripe's wire format, and requests the sandbox
 * takes are ones Stripe takes.
 */
class SandboxStripeClientIT {
    private static final String SECRET = "sk_test_client";
    private static EmbeddedPg pg;
    private static Vertx vertx;
    private static String base;
    private static StripeClient stripe;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        vertx = Vertx.vertx();
        int port = FreePorts.pick();
        SandboxProvider sandbox = new SandboxProvider("127.0.0.1", port, pg.uri(), SECRET, SandboxFaults.NONE);
        ProviderStack.await(vertx.deployVerticle(sandbox));
        base = "http://127.0.0.1:" + port;
        stripe = client(SECRET);
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            ProviderStack.await(vertx.close());
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static StripeClient client(String key) {
        return StripeClient.builder()
                .setApiKey(key)
                .setApiBase(base)
                .setMaxNetworkRetries(0)
                .build();
    }

    private static PaymentIntentCreateParams params(long amount, String method, String paymentId) {
        return PaymentIntentCreateParams.builder()
                .setAmount(amount)
                .setCurrency("usd")
                .setCustomer("cus_1")
                .setPaymentMethod(method)
                .setConfirm(true)
                .setAutomaticPaymentMethods(PaymentIntentCreateParams.AutomaticPaymentMethods.builder()
                        .setEnabled(true)
                        .setAllowRedirects(PaymentIntentCreateParams.AutomaticPaymentMethods.AllowRedirects.NEVER)
                        .build())
                .putMetadata("payment_id", paymentId)
                .build();
    }

    private static RequestOptions key(String k) {
        return RequestOptions.builder().setIdempotencyKey(k).build();
    }

    private static PaymentIntent pay(long amount, String method) throws Exception {
        String id = "pay_" + UUID.randomUUID();
        return stripe.v1().paymentIntents().create(params(amount, method, id), key(id));
    }

    @Test
    void createConfirmReplayAndIdempotencyError() throws Exception {
        String k = "key-" + UUID.randomUUID();
        PaymentIntent first = stripe.v1().paymentIntents().create(params(1_234, "pm_card_visa", k), key(k));
        assertThat(first.getStatus()).isEqualTo("succeeded");
        assertThat(first.getAmount()).isEqualTo(1_234);
        assertThat(first.getLatestCharge()).startsWith("ch_");
        assertThat(first.getMetadata()).containsEntry("payment_id", k);
        assertThat(first.getLastResponse().headers().firstValue("Idempotent-Replayed"))
                .isEmpty();

        PaymentIntent replay = stripe.v1().paymentIntents().create(params(1_234, "pm_card_visa", k), key(k));
        assertThat(replay.getId()).isEqualTo(first.getId());
        assertThat(replay.getLatestCharge()).isEqualTo(first.getLatestCharge());
        assertThat(replay.getLastResponse().headers().firstValue("Idempotent-Replayed"))
                .contains("true");

        assertThatThrownBy(() -> stripe.v1().paymentIntents().create(params(999, "pm_card_visa", k), key(k)))
                .isInstanceOfSatisfying(
                        IdempotencyException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(400));
    }

    @Test
    void aDeclineIsACardErrorWithItsDeclineCode() {
        assertThatThrownBy(() -> pay(500, "pm_card_chargeDeclinedInsufficientFunds"))
                .isInstanceOfSatisfying(CardException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(402);
                    assertThat(e.getCode()).isEqualTo("card_declined");
                    assertThat(e.getDeclineCode()).isEqualTo("insufficient_funds");
                });
    }

    @Test
    void retrieveIntentsAndChargesIncludingOnesStillMoving() throws Exception {
        PaymentIntent paid = pay(700, "pm_card_visa");
        PaymentIntent again = stripe.v1().paymentIntents().retrieve(paid.getId());
        assertThat(again.getStatus()).isEqualTo("succeeded");
        assertThat(again.getLatestCharge()).isEqualTo(paid.getLatestCharge());
        Charge charge = stripe.v1().charges().retrieve(paid.getLatestCharge());
        assertThat(charge.getAmount()).isEqualTo(700);
        assertThat(charge.getCurrency()).isEqualTo("usd");
        assertThat(charge.getPaymentIntent()).isEqualTo(paid.getId());
        assertThat(charge.getRefunded()).isFalse();

        PaymentIntent action = pay(800, "pm_card_authenticationRequired");
        assertThat(action.getStatus()).isEqualTo("requires_action");
        assertThat(action.getLatestCharge()).isNull();
        assertThat(stripe.v1().paymentIntents().retrieve(action.getId()).getStatus())
                .isEqualTo("requires_action");

        PaymentIntent processing = pay(900, SandboxProvider.PM_PROCESSING);
        assertThat(processing.getStatus()).isEqualTo("processing");
        PaymentIntent settled = stripe.v1().paymentIntents().retrieve(processing.getId());
        assertThat(settled.getStatus()).isEqualTo("succeeded");
        assertThat(stripe.v1().charges().retrieve(settled.getLatestCharge()).getAmount())
                .isEqualTo(900);

        PaymentIntent more = pay(1_000, SandboxProvider.PM_AMOUNT_MISMATCH);
        assertThat(more.getAmount()).isEqualTo(1_001);
        PaymentIntent other = pay(1_000, SandboxProvider.PM_CURRENCY_MISMATCH);
        assertThat(other.getCurrency()).isEqualTo("eur");

        assertThatThrownBy(() -> stripe.v1().paymentIntents().retrieve("pi_nothing"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                });
        assertThatThrownBy(() -> stripe.v1().charges().retrieve("ch_nothing"))
                .isInstanceOfSatisfying(
                        InvalidRequestException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(404));
    }

    @Test
    void refundsByChargeByRetrievedChargeAndByIntentShowInTheExpandedAutoPagedListing() throws Exception {
        List<PaymentIntent> paid = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            paid.add(pay(100 + i, "pm_card_visa"));
        }
        Refund byCharge = stripe.v1()
                .refunds()
                .create(RefundCreateParams.builder()
                        .setCharge(paid.get(0).getLatestCharge())
                        .build());
        assertThat(byCharge.getStatus()).isEqualTo("succeeded");
        assertThat(byCharge.getAmount()).isEqualTo(100);

        Charge retrieved = stripe.v1().charges().retrieve(paid.get(1).getLatestCharge());
        Refund byRetrieved = stripe.v1()
                .refunds()
                .create(RefundCreateParams.builder()
                        .setCharge(retrieved.getId())
                        .build());
        assertThat(byRetrieved.getCharge()).isEqualTo(retrieved.getId());
        assertThat(stripe.v1().charges().retrieve(retrieved.getId()).getRefunded())
                .isTrue();

        Refund byIntent = stripe.v1()
                .refunds()
                .create(RefundCreateParams.builder()
                        .setPaymentIntent(paid.get(2).getId())
                        .build());
        assertThat(byIntent.getCharge()).isEqualTo(paid.get(2).getLatestCharge());

        assertThatThrownBy(() -> stripe.v1()
                        .refunds()
                        .create(RefundCreateParams.builder()
                                .setCharge(paid.get(0).getLatestCharge())
                                .build()))
                .isInstanceOf(InvalidRequestException.class);

        theExpandedAutoPagedListingShowsThem(paid, byCharge);
    }

    /** Pages of 2, expanded with expand[0]=data.source as the client sends it: every charge and a refund. */
    private void theExpandedAutoPagedListingShowsThem(List<PaymentIntent> paid, Refund byCharge) throws Exception {
        List<BalanceTransaction> all = new ArrayList<>();
        for (BalanceTransaction t : stripe.v1()
                .balanceTransactions()
                .list(BalanceTransactionListParams.builder()
                        .setLimit(2L)
                        .addExpand("data.source")
                        .build())
                .autoPagingIterable()) {
            all.add(t);
        }
        long pages = all.size();
        assertThat(pages).isGreaterThanOrEqualTo(8); // 5 charges and 3 refunds at least, over many pages
        assertThat(all.stream().map(BalanceTransaction::getId).distinct().count())
                .isEqualTo(all.size());
        for (PaymentIntent p : paid) {
            BalanceTransaction t = all.stream()
                    .filter(x ->
                            "charge".equals(x.getType()) && p.getLatestCharge().equals(x.getSource()))
                    .findFirst()
                    .orElseThrow();
            assertThat(t.getSourceObject()).isInstanceOf(Charge.class);
            Charge c = (Charge) t.getSourceObject();
            assertThat(c.getPaymentIntent()).isEqualTo(p.getId());
            assertThat(c.getMetadata()).containsKey("payment_id");
        }
        BalanceTransaction refundTxn = all.stream()
                .filter(x -> byCharge.getId().equals(x.getSource()))
                .findFirst()
                .orElseThrow();
        assertThat(refundTxn.getType()).isEqualTo("refund");
        assertThat(refundTxn.getSourceObject()).isInstanceOf(Refund.class);
        assertThat(refundTxn.getAmount()).isEqualTo(-100);
    }

    @Test
    void unknownParametersAWrongKeyAndUnknownRoutesAreStripeShapedErrors() throws Exception {
        String id = "pay_" + UUID.randomUUID();
        PaymentIntentCreateParams withExtra = PaymentIntentCreateParams.builder()
                .setAmount(100L)
                .setCurrency("usd")
                .setPaymentMethod("pm_card_visa")
                .setConfirm(true)
                .putExtraParam("colour", "blue")
                .build();
        assertThatThrownBy(() -> stripe.v1().paymentIntents().create(withExtra, key(id)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getCode()).isEqualTo("parameter_unknown");
                    assertThat(e.getParam()).isEqualTo("colour");
                });
        // Confirming without a return_url while redirects are allowed is refused, as by Stripe.
        PaymentIntentCreateParams redirectable = PaymentIntentCreateParams.builder()
                .setAmount(100L)
                .setCurrency("usd")
                .setPaymentMethod("pm_card_visa")
                .setConfirm(true)
                .build();
        assertThatThrownBy(() -> stripe.v1().paymentIntents().create(redirectable, key(id + "-r")))
                .isInstanceOfSatisfying(
                        InvalidRequestException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(400));

        assertThatThrownBy(() -> client("sk_test_wrong").v1().paymentIntents().create(params(100, "pm_card_visa", id)))
                .isInstanceOfSatisfying(
                        AuthenticationException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(401));

        HttpClient http = HttpClient.newHttpClient();
        for (String path :
                List.of("/v1/nothing", "/", "/v1/payment_intents/pi_1/capture", "/v1/balance_transactions?bogus=1")) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .header("Authorization", "Bearer " + SECRET)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("content-type")).as(path).contains("application/json");
            JsonObject error = new JsonObject(r.body()).getJsonObject("error");
            assertThat(error.getString("type")).as(path).isEqualTo("invalid_request_error");
            assertThat(error.getString("message")).as(path).isNotBlank();
            assertThat(r.statusCode()).as(path).isIn(400, 404);
        }
    }
}
