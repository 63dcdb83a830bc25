package com.streamsocial.billing.events;

/**
 * The headers of a record on {@link Topics#DLQ}: why it is there and where it came from. The record's
 * value is the original value, byte for byte, so it can be repaired and produced again.
 */
public final class DeadLetterHeaders {
    private DeadLetterHeaders() {}

    /** {@link DecodeError.Code#wire()}: the class of the failure, stable for alerting and tooling. */
    public static final String ERROR_CODE = "error.code";
    /** What exactly was wrong, naming the field; UTF-8, at most {@link #MESSAGE_CHARS_MAX} characters. */
    public static final String ERROR_MESSAGE = "error.message";
    /** The topic the record was read from. */
    public static final String SOURCE_TOPIC = "source.topic";
    /** Its partition, as decimal text. */
    public static final String SOURCE_PARTITION = "source.partition";
    /** Its offset, as decimal text. */
    public static final String SOURCE_OFFSET = "source.offset";
    /** Its key, the original bytes; absent when the record had no key. */
    public static final String SOURCE_KEY = "source.key";

    public static final int MESSAGE_CHARS_MAX = 1_000;
}
