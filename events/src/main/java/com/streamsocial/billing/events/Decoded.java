package com.streamsocial.billing.events;

import java.util.function.Function;

/**
 * The result of decoding untrusted bytes: either a value or a {@link DecodeError}. Decoders that
 * return it never throw.
 */
public sealed interface Decoded<T> {

    record Ok<T>(T value) implements Decoded<T> {}

    record Failed<T>(DecodeError error) implements Decoded<T> {}

    static <T> Decoded<T> ok(T value) {
        return new Ok<>(value);
    }

    static <T> Decoded<T> failed(DecodeError.Code code, String message) {
        return new Failed<>(new DecodeError(code, message));
    }

    default boolean isOk() {
        return this instanceof Ok;
    }

    /** The value; only for trusted input (tests, tools), as it throws on a failure. */
    default T orElseThrow() {
        if (this instanceof Ok<T> ok) {
            return ok.value();
        }
        DecodeError e = ((Failed<T>) this).error();
        throw new EventFormatException(e.code().wire() + ": " + e.message());
    }

    /** The error, or null for a value. */
    default DecodeError error() {
        return this instanceof Failed<T> f ? f.error() : null;
    }

    default <U> Decoded<U> map(Function<T, U> f) {
        if (this instanceof Ok<T> ok) {
            return new Ok<>(f.apply(ok.value()));
        }
        return new Failed<>(((Failed<T>) this).error());
    }
}
