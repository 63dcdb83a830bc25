package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProviderHealthTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private boolean fail;
    private final ProviderHealth health = new ProviderHealth(
            new PaymentProvider() {
                @Override
                public Future<List<ChargeResult>> prepare(List<Charge> charges) {
                    return fail
                            ? Future.failedFuture(new ProviderUnavailableException("down at prepare"))
                            : Future.succeededFuture(
                                    List.of(ChargeResult.pending("pay_1", "ORDER-1", "order created")));
                }

                @Override
                public Future<List<ChargeResult>> charge(List<Charge> charges) {
                    return fail
                            ? Future.failedFuture(new ProviderUnavailableException("down"))
                            : Future.succeededFuture(List.of());
                }
            },
            now::get,
            30_000);

    @Test
    void theFirstStepOfATwoStepProviderGoesThroughAndCounts() {
        // A wrapper that dropped prepare would silently turn PayPal's recovery point off.
        assertThat(health.prepare(List.of()).result())
                .extracting(PaymentProvider.ChargeResult::intentId)
                .containsExactly("ORDER-1");
        fail = true;
        health.prepare(List.of());
        assertThat(health.lastError()).contains("down at prepare");
    }

    @Test
    void upUntilACallFailsThenDownUntilACallSucceeds() {
        assertThat(health.up()).isTrue();
        fail = true;
        health.charge(List.of());
        assertThat(health.up()).isFalse();
        assertThat(health.lastError()).contains("down");
        fail = false;
        health.charge(List.of());
        assertThat(health.up()).isTrue();
        assertThat(health.lastError()).isNull();
    }

    @Test
    void aFailureCountsOnlyWithinItsWindow() {
        fail = true;
        health.charge(List.of());
        now.addAndGet(30_000);
        assertThat(health.up()).isFalse();
        now.addAndGet(1);
        assertThat(health.up()).isTrue();
    }
}
