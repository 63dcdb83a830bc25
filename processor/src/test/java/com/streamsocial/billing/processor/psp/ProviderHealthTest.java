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
            charges -> fail
                    ? Future.failedFuture(new ProviderUnavailableException("down"))
                    : Future.succeededFuture(List.of()),
            now::get,
            30_000);

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
