package com.streamsocial.billing.processor.guarantee;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The naive modes charge a two-step provider (PayPal) in its two steps, the second with the objects
 * the first made, and a one-step provider (Stripe) in one; a payment the first step ended is not
 * charged again. The provider is a fake: it records what it was asked.
 */
class NaiveBatchStepsTest {
    private static PaymentProvider.Charge charge(String id) {
        return new PaymentProvider.Charge(id, 100, "USD", "cus_1", "pm_1", "default", null);
    }

    /** Orders every payment but "declined" in its first step; captures what has an order. */
    private static final class TwoSteps implements PaymentProvider {
        final List<Charge> captured = new ArrayList<>();

        @Override
        public Future<List<ChargeResult>> prepare(List<Charge> charges) {
            return Future.succeededFuture(charges.stream()
                    .map(c -> c.paymentId().equals("declined")
                            ? ChargeResult.failed(c.paymentId(), "card_declined", null)
                            : ChargeResult.pending(c.paymentId(), "order_" + c.paymentId(), "order created"))
                    .toList());
        }

        @Override
        public Future<List<ChargeResult>> charge(List<Charge> charges) {
            captured.addAll(charges);
            return Future.succeededFuture(charges.stream()
                    .map(c -> c.intentId() == null
                            ? ChargeResult.failed(c.paymentId(), "no_order", null)
                            : ChargeResult.succeeded(c.paymentId(), "cap_" + c.paymentId(), c.intentId()))
                    .toList());
        }
    }

    @Test
    void aTwoStepProviderIsCapturedWithItsOrdersAndAPaymentItsFirstStepEndedIsNotCharged() throws Exception {
        try (ServiceMetrics service = new ServiceMetrics()) {
            TwoSteps provider = new TwoSteps();
            NaiveBatch batch = new NaiveBatch(null, provider, new ProcessorMeters(service), Guarantee.AT_LEAST_ONCE);
            List<PaymentProvider.ChargeResult> results = batch.charged(
                            List.of(charge("a"), charge("declined"), charge("b")))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(provider.captured)
                    .extracting(PaymentProvider.Charge::paymentId, PaymentProvider.Charge::intentId)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("a", "order_a"),
                            org.assertj.core.groups.Tuple.tuple("b", "order_b"));
            assertThat(results.stream().filter(r -> r.verdict().isFinal()).toList())
                    .extracting(PaymentProvider.ChargeResult::paymentId, PaymentProvider.ChargeResult::failureCode)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("declined", "card_declined"),
                            org.assertj.core.groups.Tuple.tuple("a", null),
                            org.assertj.core.groups.Tuple.tuple("b", null));
        }
    }

    @Test
    void aOneStepProviderIsChargedOnceWithEveryPayment() throws Exception {
        try (ServiceMetrics service = new ServiceMetrics()) {
            List<PaymentProvider.Charge> asked = new ArrayList<>();
            PaymentProvider oneStep = new PaymentProvider() {
                @Override
                public Future<List<ChargeResult>> prepare(List<Charge> charges) {
                    return Future.succeededFuture(List.of());
                }

                @Override
                public Future<List<ChargeResult>> charge(List<Charge> charges) {
                    asked.addAll(charges);
                    return Future.succeededFuture(charges.stream()
                            .map(c -> ChargeResult.succeeded(c.paymentId(), "ch_" + c.paymentId(), null))
                            .toList());
                }
            };
            NaiveBatch batch = new NaiveBatch(null, oneStep, new ProcessorMeters(service), Guarantee.AT_MOST_ONCE);
            List<PaymentProvider.ChargeResult> results = batch.charged(List.of(charge("a"), charge("b")))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(asked).containsExactly(charge("a"), charge("b"));
            assertThat(results)
                    .extracting(PaymentProvider.ChargeResult::providerRef)
                    .containsExactly("ch_a", "ch_b");
        }
    }
}
