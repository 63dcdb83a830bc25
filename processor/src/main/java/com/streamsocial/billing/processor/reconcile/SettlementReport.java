package com.streamsocial.billing.processor.reconcile;

import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The provider's settlement report, as reconciliation reads it, and the one repair it asks of the
 * provider: a full refund of a charge. A port: Stripe's balance transactions ({@link
 * StripeSettlements}) or PayPal's Transaction Search ({@link PayPalSettlements}). Blocking: called
 * from reconciliation's own thread.
 */
public interface SettlementReport {

    /**
     * One line of the report, in this system's terms. {@code type} is {@code charge} (money taken:
     * a Stripe charge, a PayPal capture) or {@code refund} (money returned, {@code amount} negative,
     * {@code chargeId} the charge it returns). {@code paymentId}, {@code marker} and {@code tenant}
     * are what this system wrote on the charge, null when absent.
     */
    record Line(
            String txnId,
            String type,
            String chargeId,
            String paymentId,
            long amount,
            String currency,
            long createdS,
            String marker,
            String tenant) {
        Object[] row() {
            return new Object[] {txnId, type, chargeId, paymentId, amount, currency, createdS, marker, tenant};
        }
    }

    /** Columns of {@link Line#row()}. */
    int COLUMNS = 9;

    /**
     * Every line created from {@code fromS} until now, to {@code each}, page by page; fails on an
     * answer it cannot read rather than skip a page.
     */
    void read(long fromS, Consumer<Line> each) throws Exception;

    /** Refunds the whole charge; idempotent per charge (a repeat, or a charge already refunded, is done). */
    void refund(String chargeId, String why) throws Exception;

    /**
     * The report of the account's kind, over {@code web}, asking for pages of at most {@code
     * pageLinesMax} lines where the provider lets the caller choose (PayPal: up to 500).
     */
    static SettlementReport of(ProviderAccount account, WebClient web, int pageLinesMax) {
        return switch (account.kind()) {
            case "paypal" -> new PayPalSettlements(account, web, pageLinesMax);
            default -> new StripeSettlements(account, web);
        };
    }

    /** Reconciliation waits this long for any one answer. */
    long AWAIT_S = 600;

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(AWAIT_S, TimeUnit.SECONDS);
    }
}
