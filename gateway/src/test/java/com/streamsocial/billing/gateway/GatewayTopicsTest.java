package com.streamsocial.billing.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.webhook.WebhookConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The topics the gateway's start checks for replication are every topic it writes: a refund is
 * acknowledged after its Kafka commit as a payment is, so payments.refunds must be as safe as
 * payments.billing (TopicSafetyIT refuses a gateway on a single broker's payments.refunds).
 */
class GatewayTopicsTest {
    @Test
    void refundsAreCheckedAlwaysAndWebhooksOnceAnEndpointIsOn() {
        assertThat(Gateway.topics(GatewayConfig.from(Settings.of(Map.of()))))
                .containsExactly(Topics.BILLING, Topics.METRICS, Topics.REFUNDS);
        assertThat(Gateway.topics(
                        GatewayConfig.from(Settings.of(Map.of(WebhookConfig.STRIPE_SECRET, "whsec_topics_test")))))
                .containsExactly(Topics.BILLING, Topics.METRICS, Topics.REFUNDS, Topics.WEBHOOKS);
    }
}
