package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.gateway.http.StrictJson;
import java.util.Map;
import java.util.Set;

/**
 * What the gateway reads of a verified webhook body: the provider's event id (the deduplication key),
 * its type, the object it is about and, when we made that object, our payment id. Everything else
 * stays in the raw body, which is published unchanged. Total: {@link #decode} returns an event or a
 * typed {@link Invalid}, never throws.
 */
public record WebhookEvent(Provider provider, String eventId, String eventType, String objectId, String paymentId) {
    /** The providers with a webhook endpoint; {@code name} is the path segment and the database value. */
    public enum Provider {
        STRIPE("stripe"),
        PAYPAL("paypal");

        public final String wireName;

        Provider(String wireName) {
            this.wireName = wireName;
        }
    }

    /** Event ids and object ids longer than this are not the provider's (Stripe's are about 30). */
    public static final int ID_CHARS_MAX = 255;
    /** Event types longer than this are not the provider's. */
    public static final int TYPE_CHARS_MAX = 100;

    /**
     * The event types the processor applies (issue 21 §2): a payment decided after {@code processing}
     * or {@code requires_action}, a refund made in the dashboard, a dispute. A verified event of
     * another type is answered {@code 2xx} and not published (see {@link #handled}).
     */
    static final Map<Provider, Set<String>> HANDLED = Map.of(
            Provider.STRIPE,
            Set.of(
                    "payment_intent.succeeded",
                    "payment_intent.payment_failed",
                    "charge.refunded",
                    "refund.created",
                    "refund.updated",
                    "charge.dispute.created",
                    "charge.dispute.updated",
                    "charge.dispute.closed"),
            Provider.PAYPAL,
            Set.of(
                    "PAYMENT.CAPTURE.COMPLETED",
                    "PAYMENT.CAPTURE.DENIED",
                    "PAYMENT.CAPTURE.REFUNDED",
                    "CUSTOMER.DISPUTE.CREATED",
                    "CUSTOMER.DISPUTE.UPDATED",
                    "CUSTOMER.DISPUTE.RESOLVED"));

    /** Why a signed body is not an event: the field, and what is wrong with it (never its value). */
    public record Invalid(String field, String detail) {}

    /** An event or why the body is not one. */
    public record Decoded(WebhookEvent event, Invalid invalid) {}

    /** Whether the processor applies events of this type; others are acknowledged and dropped. */
    public boolean handled() {
        return HANDLED.get(provider).contains(eventType);
    }

    public static Decoded decode(Provider provider, byte[] body) {
        StrictJson.Parsed parsed = StrictJson.parseObject(body);
        if (parsed.error() != null) {
            return invalid(parsed.error().field(), parsed.error().detail());
        }
        Map<String, Object> root = parsed.object();
        String typeField = provider == Provider.STRIPE ? "type" : "event_type";
        String objectField = provider == Provider.STRIPE ? "data.object" : "resource";
        Object id = root.get("id");
        Object type = root.get(typeField);
        if (!(id instanceof String eventId) || !isId(eventId)) {
            return invalid("id", "must be the provider's event id: 1.." + ID_CHARS_MAX + " visible ASCII characters");
        }
        if (!(type instanceof String eventType) || !isType(eventType)) {
            return invalid(typeField, "must be an event type: 1.." + TYPE_CHARS_MAX + " of [A-Za-z0-9._]");
        }
        Map<?, ?> object =
                provider == Provider.STRIPE ? map(map(root.get("data")).get("object")) : map(root.get("resource"));
        // PayPal's disputes carry their id as dispute_id: the record key that keeps a dispute's events in order.
        Object objectId = object.get("id") != null ? object.get("id") : object.get("dispute_id");
        if (objectId != null && !(objectId instanceof String s && isId(s))) {
            return invalid(objectField + ".id", "must be an id: 1.." + ID_CHARS_MAX + " visible ASCII characters");
        }
        Object paymentId =
                provider == Provider.STRIPE ? map(object.get("metadata")).get("payment_id") : object.get("custom_id");
        return new Decoded(
                new WebhookEvent(
                        provider,
                        eventId,
                        eventType,
                        (String) objectId,
                        paymentId instanceof String p && isId(p) ? p : null),
                null);
    }

    /** The record key: one object's events on one partition, in the order they were taken. */
    public String recordKey() {
        return paymentId != null ? paymentId : objectId != null ? objectId : provider.wireName + ":" + eventId;
    }

    private static Decoded invalid(String field, String detail) {
        return new Decoded(null, new Invalid(field, detail));
    }

    private static Map<?, ?> map(Object o) {
        return o instanceof Map<?, ?> m ? m : Map.of();
    }

    static boolean isId(String s) {
        if (s.isEmpty() || s.length() > ID_CHARS_MAX) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    static boolean isType(String s) {
        if (s.isEmpty() || s.length() > TYPE_CHARS_MAX) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
