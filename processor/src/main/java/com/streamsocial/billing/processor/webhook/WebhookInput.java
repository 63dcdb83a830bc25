package com.streamsocial.billing.processor.webhook;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One record of {@code payments.webhooks} as the processor reads it: where it is, the headers the
 * gateway set (provider, event id and type), and the provider's body, unchanged. A record without them
 * (not the gateway's) keeps its position as its id, so it is recorded as malformed once, never applied.
 */
public record WebhookInput(int partition, long offset, String provider, String eventId, String eventType, byte[] body) {
    /** The gateway's header names (gateway.webhook.WebhookIntake). */
    public static final String HEADER_PROVIDER = "webhook.provider";

    public static final String HEADER_EVENT_ID = "webhook.event_id";
    public static final String HEADER_EVENT_TYPE = "webhook.event_type";

    /** Bytes of a header value taken, at most; a longer one is not the gateway's. */
    static final int HEADER_BYTES_MAX = 255;

    /** From a record's parts: {@code headers} by name (the last value of each), as UTF-8 bytes. */
    public static WebhookInput of(int partition, long offset, Map<String, byte[]> headers, byte[] value) {
        String provider = header(headers, HEADER_PROVIDER);
        String eventId = header(headers, HEADER_EVENT_ID);
        String type = header(headers, HEADER_EVENT_TYPE);
        boolean complete = provider != null && eventId != null && type != null;
        return new WebhookInput(
                partition,
                offset,
                complete ? provider : "unknown",
                complete ? eventId : "@" + partition + ":" + offset,
                complete ? type : "unknown",
                value);
    }

    /** Whether the gateway's headers were there: the event id is the provider's. */
    public boolean fromGateway() {
        return !eventId.startsWith("@");
    }

    private static String header(Map<String, byte[]> headers, String name) {
        byte[] v = headers.get(name);
        if (v == null || v.length == 0 || v.length > HEADER_BYTES_MAX) {
            return null;
        }
        return new String(v, StandardCharsets.UTF_8);
    }
}
