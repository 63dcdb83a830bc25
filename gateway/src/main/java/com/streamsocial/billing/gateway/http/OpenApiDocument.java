package com.streamsocial.billing.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.1 document of the gateway's HTTP API ({@code openapi.json} on the class path), served
 * at {@code GET /openapi.json}. It is read and parsed once, on first use: call {@link #json()} off the
 * event loop first ({@code Gateway.deploy} does), after which it is a field read.
 */
public final class OpenApiDocument {
    public static final String RESOURCE = "openapi.json";

    private OpenApiDocument() {}

    /** The document's bytes, checked to be a JSON object. */
    public static Buffer json() {
        return Holder.JSON;
    }

    private static final class Holder {
        static final Buffer JSON = load();

        private static Buffer load() {
            try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is not on the class path");
                }
                Buffer bytes = Buffer.buffer(in.readAllBytes());
                new JsonObject(bytes); // fails start-up on a broken document rather than serving it
                return bytes;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
