package com.streamsocial.billing.gateway.payment;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * A validated payment intent. Its {@link #canonical()} form (fixed field order, normalised currency,
 * sorted metadata) is what the fingerprint covers, so a retry that differs only in whitespace or key
 * order is the same request. Its {@link #trace()} is the request's trace context, which its billing
 * record carries on ({@code traceparent}); it is no part of the request's identity.
 */
public record PaymentRequest(
        String tenant,
        String idempotencyKey,
        String paymentId,
        long amount,
        String currency,
        String customerId,
        String paymentMethod,
        String description,
        Map<String, String> metadata,
        String canonical,
        String fingerprint,
        SpanContext trace) {

    public static PaymentRequest of(
            String tenant,
            String idempotencyKey,
            long amount,
            String currency,
            String customerId,
            String paymentMethod,
            String description,
            Map<String, String> metadata) {
        Map<String, String> sorted = new TreeMap<>(metadata);
        String canonical = canonicalJson(amount, currency, customerId, paymentMethod, description, sorted)
                .encode();
        return new PaymentRequest(
                tenant,
                idempotencyKey,
                PaymentIds.paymentId(tenant, idempotencyKey),
                amount,
                currency,
                customerId,
                paymentMethod,
                description,
                sorted,
                canonical,
                PaymentIds.fingerprint(canonical),
                SpanContext.getInvalid());
    }

    /** The same request in {@code context}'s trace. */
    public PaymentRequest traced(SpanContext context) {
        return new PaymentRequest(
                tenant,
                idempotencyKey,
                paymentId,
                amount,
                currency,
                customerId,
                paymentMethod,
                description,
                metadata,
                canonical,
                fingerprint,
                context);
    }

    static JsonObject canonicalJson(
            long amount,
            String currency,
            String customerId,
            String paymentMethod,
            String description,
            Map<String, String> sortedMetadata) {
        return new JsonObject()
                .put("amount", amount)
                .put("currency", currency)
                .put("customer_id", customerId)
                .put("payment_method", paymentMethod)
                .put("description", description)
                .put("metadata", new JsonObject(new java.util.LinkedHashMap<>(sortedMetadata)));
    }

    public PaymentEvent toEvent(long acceptedAtMs) {
        return new PaymentEvent(
                paymentId,
                tenant,
                idempotencyKey,
                fingerprint,
                amount,
                currency,
                customerId,
                paymentMethod,
                description,
                metadata,
                acceptedAtMs);
    }
}
