package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An adapter's meters scrape as 0 before its first call: each {@code result} of the latency histogram
 * (its buckets too), and the retried statuses known in advance; only what an adapter counts is there.
 */
class ProviderMetersTest {
    @Test
    void everyResultAndEveryKnownRetriedStatusIsExportedAtZeroBeforeTheFirstCall() {
        try (ServiceMetrics service = new ServiceMetrics()) {
            new ProviderMeters(new ProcessorMeters(service));
            String scrape = service.scrape();
            for (ProviderMeters.Result r : ProviderMeters.Result.values()) {
                assertZero(scrape, "provider_request_seconds_count{result=\"" + r.wire() + "\"}");
                assertThat(scrape)
                        .containsPattern("(?m)^provider_request_seconds_bucket\\{result=\"" + r.wire()
                                + "\",le=\"[^\"]+\"} 0(\\.0)?$");
            }
            for (String status : ProviderMeters.RETRIED_KNOWN) {
                assertZero(scrape, "provider_retried_total{kind=\"transient\",status=\"" + status + "\"}");
            }
            assertZero(scrape, "provider_calls_total");
            assertZero(scrape, "provider_unavailable_total");
            // Counted by the Stripe adapter alone (and token fetches by PayPal's): registered by them.
            assertThat(scrape).doesNotContain("provider_mismatch_total", "provider_token_fetches_total");
        }
    }

    @Test
    void eachAdapterRegistersWhatItCountsWhenBuilt() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (ServiceMetrics stripe = new ServiceMetrics();
                ServiceMetrics paypal = new ServiceMetrics()) {
            new StripeProvider(
                    vertx,
                    new StripeProvider.Options(
                            "http://127.0.0.1:1", "sk_test_x", new ProviderLimits(1, 1, 100), 1_000, 10, 50, 1_000),
                    new ProcessorMeters(stripe));
            new PayPalProvider(
                    vertx,
                    new PayPalProvider.Options(
                            "http://127.0.0.1:1", "id", "secret", new ProviderLimits(1, 1, 100), 1_000, 10, 50, 1_000),
                    new ProcessorMeters(paypal));
            for (String series :
                    new String[] {"provider_pending_total", "provider_mismatch_total", "provider_calls_total"}) {
                assertZero(stripe.scrape(), series);
            }
            assertZero(paypal.scrape(), "provider_token_fetches_total");
            assertZero(paypal.scrape(), "provider_calls_total");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static void assertZero(String scrape, String series) {
        assertThat(scrape).containsPattern("(?m)^" + Pattern.quote(series) + " 0(\\.0)?$");
    }
}
