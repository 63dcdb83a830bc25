package com.streamsocial.billing.events;

import java.util.Objects;

/**
 * Why a record could not be decoded or processed: a stable {@link Code} (the {@code error.code} header
 * on {@link Topics#DLQ}) and a human-readable message naming the field at fault.
 */
public record DecodeError(Code code, String message) {

    /** Stable classes of bad records; their wire names are part of the dead-letter contract. */
    public enum Code {
        /** The record has no value (a tombstone). */
        NO_VALUE,
        /** The value, or one of its fields, is larger than the contract allows. */
        OVERSIZE,
        /** Not JSON at all: bad UTF-8, bad syntax, trailing data, or a duplicate key. */
        UNPARSEABLE,
        /** Valid JSON, but not an object. */
        NOT_AN_OBJECT,
        /** A {@code type} other than the one this decoder reads. */
        UNKNOWN_TYPE,
        /** A field the contract does not define: refused rather than ignored. */
        UNKNOWN_FIELD,
        /** A required field is absent. */
        MISSING_FIELD,
        /** A field is JSON {@code null}. */
        NULL_FIELD,
        /** A field has the wrong JSON type (a string for a number, a fraction for an integer, ...). */
        WRONG_TYPE,
        /** A field has the right type but a value outside the contract (empty, bad currency, forged id). */
        INVALID_FIELD,
        /** A number outside its range (amount, timestamp, tenant length). */
        OUT_OF_RANGE,
        /** The record's key is not the event's payment id. */
        KEY_MISMATCH,
        /** The record decoded, but planning it failed in a way attributable to it alone. */
        UNPLANNABLE,
        /** A bug in the decoder: it failed unexpectedly. The record is kept on the dead-letter topic. */
        INTERNAL;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public DecodeError {
        Objects.requireNonNull(code, "code");
        message = message == null ? code.wire() : message;
    }
}
