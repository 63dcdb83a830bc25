package com.streamsocial.billing.processor.refund;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.events.Decoded;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.refund.RefundPlanner;
import io.opentelemetry.api.trace.SpanContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One polled {@code payments.refunds} record: its position, original bytes, and either its event or
 * why it cannot be processed (a dead letter), and the trace context its headers carry (invalid when
 * none). Decoding is total, as the billing records' is.
 */
public record RefundInput(
        int partition,
        long offset,
        byte[] rawKey,
        byte[] value,
        RefundEvent event,
        DecodeError error,
        SpanContext trace) {

    /** A record with no trace context. */
    public static RefundInput decode(int partition, long offset, byte[] rawKey, byte[] value) {
        return decode(partition, offset, rawKey, value, SpanContext.getInvalid());
    }

    public static RefundInput decode(int partition, long offset, byte[] rawKey, byte[] value, SpanContext trace) {
        Decoded<RefundEvent> d = RefundEvent.decode(value);
        if (d.error() != null) {
            return new RefundInput(partition, offset, rawKey, value, null, d.error(), trace);
        }
        RefundEvent e = d.orElseThrow();
        if (rawKey != null && !Arrays.equals(rawKey, e.paymentId().getBytes(StandardCharsets.UTF_8))) {
            return new RefundInput(
                    partition,
                    offset,
                    rawKey,
                    value,
                    null,
                    new DecodeError(DecodeError.Code.KEY_MISMATCH, "record key is not the payment id " + e.paymentId()),
                    trace);
        }
        return new RefundInput(partition, offset, rawKey, value, e, null, trace);
    }

    /** The planner's view of this record; only for a decoded one. */
    public RefundPlanner.Request request() {
        return new RefundPlanner.Request(
                event.refundId(), event.paymentId(), event.requestHash(), event.amountMinor(), partition, offset);
    }

    /** The key as text (invalid UTF-8 replaced), for a dead letter; {@link #rawKey()} is exact. */
    public String key() {
        return rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
    }
}
