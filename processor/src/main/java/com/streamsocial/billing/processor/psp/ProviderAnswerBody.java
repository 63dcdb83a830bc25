package com.streamsocial.billing.processor.psp;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The body of a provider's answer, read into memory only up to {@code bytesMax}: past it the call
 * fails with {@link TooLarge} and nothing more is kept, so a hostile or broken endpoint cannot make
 * the processor buffer an unbounded answer.
 */
public final class ProviderAnswerBody {
    /** An answer longer than the bound: a transient failure of the call, never an outcome. */
    static final class TooLarge extends RuntimeException {
        TooLarge(int bytesMax) {
            super("provider answer over " + bytesMax + " bytes", null, false, false);
        }
    }

    private ProviderAnswerBody() {}

    /**
     * The body's JSON value, decoded strictly: null when the body is empty or not JSON (nested past
     * the parser's limits included); {@link CharacterCodingException} when its bytes are not UTF-8.
     * Every provider answer and report page is read through this one decoder.
     */
    public static Object json(byte[] body) throws CharacterCodingException {
        if (body == null || body.length == 0) {
            return null;
        }
        String text = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString();
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            return null;
        }
    }

    public static BodyCodec<Buffer> capped(int bytesMax) {
        return () -> new Stream(bytesMax);
    }

    private static final class Stream implements BodyStream<Buffer> {
        private final int bytesMax;
        private final Buffer body = Buffer.buffer();
        private final Promise<Buffer> result = Promise.promise();

        Stream(int bytesMax) {
            this.bytesMax = bytesMax;
        }

        @Override
        public Future<Buffer> result() {
            return result.future();
        }

        @Override
        public void handle(Throwable failure) {
            result.tryFail(failure);
        }

        @Override
        public Future<Void> write(Buffer data) {
            if (result.future().isComplete()) {
                return Future.succeededFuture();
            }
            if ((long) body.length() + data.length() > bytesMax) {
                TooLarge tooLarge = new TooLarge(bytesMax);
                result.tryFail(tooLarge);
                return Future.failedFuture(tooLarge);
            }
            body.appendBuffer(data);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> end() {
            result.tryComplete(body);
            return Future.succeededFuture();
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return false;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            return this;
        }
    }
}
