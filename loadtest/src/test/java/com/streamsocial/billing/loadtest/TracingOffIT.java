package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.refund.RefundIds;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import com.streamsocial.billing.tracing.TraceHeaders;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tracing off, the default (no {@code tracing.otlpEndpoint}), with the PayPal adapter: no span is
 * recorded, yet a payment's and a refund's {@code traceparent} still reaches its Kafka record and
 * every PayPal call (create, capture, refund) unchanged, so the caller's trace stays connected; a
 * request without one adds no header anywhere.
 */
class TracingOffIT {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static ProviderStack stack;
    private static Processor processor;

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        Map<String, String> props = new HashMap<>(ProviderStack.QUICK_RETRIES);
        props.put("provider.kind", "paypal");
        processor = stack.startProcessor(props);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    @Test
    void anIncomingTraceparentIsCarriedToKafkaAndEveryPayPalCallUnchanged() throws Exception {
        String incoming = TracingIT.newTraceparent();
        String key = "off-traced-" + RUN;
        HttpResponse<String> r = stack.pay(key, 700, "pm_card_visa", Map.of("traceparent", incoming));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = PaymentIds.paymentId("default", key);
        assertThat(TracingIT.recordHeader(stack, Topics.BILLING, id, TraceHeaders.TRACEPARENT))
                .contains(incoming);
        assertThat(TracingIT.providerTraceparent(stack, "create:" + id)).isEqualTo(incoming);
        assertThat(TracingIT.providerTraceparent(stack, "capture:" + id)).isEqualTo(incoming);
    }

    @Test
    void anIncomingTraceparentOfARefundReachesItsRecordAndPayPalsRefundUnchanged() throws Exception {
        String id = stack.paid("off-refund-" + RUN, 800);
        String incoming = TracingIT.newTraceparent();
        HttpResponse<String> r = stack.refundAsync(
                        id, "orf-" + RUN, "{\"amount\":300}", Map.of("traceparent", incoming))
                .get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(TracingIT.recordHeader(stack, Topics.REFUNDS, id, TraceHeaders.TRACEPARENT))
                .contains(incoming);
        String refundId = new JsonObject(r.body()).getString("id");
        assertThat(TracingIT.providerTraceparent(stack, RefundIds.providerKey(refundId)))
                .isEqualTo(incoming);
    }

    @Test
    void aRequestWithoutATraceparentAddsNoHeader() throws Exception {
        String id = stack.paid("off-untraced-" + RUN, 500);
        assertThat(TracingIT.recordHeader(stack, Topics.BILLING, id, TraceHeaders.TRACEPARENT))
                .isEmpty();
        for (Object o : stack.get(stack.sandboxUrl() + "/sandbox/traces").getJsonArray("calls")) {
            assertThat(((JsonObject) o).getString("key")).doesNotContain(id);
        }
    }
}
