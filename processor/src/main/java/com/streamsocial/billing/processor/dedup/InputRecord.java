package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.events.Decoded;
import com.streamsocial.billing.events.PaymentEvent;
import io.opentelemetry.api.trace.SpanContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One polled billing record: its position, its original key and value bytes, either its event or why
 * it cannot be processed, whether reconciliation re-drove it (header {@code redrive}) to repair a
 * missing row or outcome, and the trace context its headers carry ({@code traceparent}; invalid when none).
 */
public record InputRecord(
        int partition,
        long offset,
        byte[] rawKey,
        byte[] value,
        PaymentEvent event,
        DecodeError error,
        boolean redrive,
        SpanContext trace) {

    /** The header reconciliation sets on a re-driven billing record. */
    public static final String REDRIVE_HEADER = "redrive";

    /** {@link #decode(int, long, byte[], byte[], boolean, SpanContext)} of a record with no trace context. */
    public static InputRecord decode(int partition, long offset, byte[] rawKey, byte[] value, boolean redrive) {
        return decode(partition, offset, rawKey, value, redrive, SpanContext.getInvalid());
    }

    /**
     * Decodes one record. Total: a record that is not a valid event keyed by its payment id comes back
     * with its {@link #error()}, never as an exception.
     */
    public static InputRecord decode(
            int partition, long offset, byte[] rawKey, byte[] value, boolean redrive, SpanContext trace) {
        Decoded<PaymentEvent> decoded = PaymentEvent.decode(value);
        DecodeError error = decoded.error();
        if (error != null) {
            return new InputRecord(partition, offset, rawKey, value, null, error, false, trace);
        }
        PaymentEvent e = ((Decoded.Ok<PaymentEvent>) decoded).value();
        if (rawKey != null && !Arrays.equals(rawKey, e.paymentId().getBytes(StandardCharsets.UTF_8))) {
            return new InputRecord(
                    partition,
                    offset,
                    rawKey,
                    value,
                    null,
                    new DecodeError(DecodeError.Code.KEY_MISMATCH, "record key is not the payment id " + e.paymentId()),
                    false,
                    trace);
        }
        return new InputRecord(partition, offset, rawKey, value, e, null, redrive, trace);
    }

    public static InputRecord of(int partition, long offset, PaymentEvent e, boolean redrive) {
        return new InputRecord(
                partition,
                offset,
                e.paymentId().getBytes(StandardCharsets.UTF_8),
                e.toBytes(),
                e,
                null,
                redrive,
                SpanContext.getInvalid());
    }

    public boolean parsed() {
        return event != null;
    }

    /** The key as text (invalid UTF-8 replaced), for the output records; {@link #rawKey()} is exact. */
    public String key() {
        return rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
    }
}
