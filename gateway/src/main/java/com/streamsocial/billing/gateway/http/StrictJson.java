package com.streamsocial.billing.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a request body into one JSON object, strictly: a duplicate key anywhere is an error naming
 * it (Jackson's {@code STRICT_DUPLICATE_DETECTION}), rather than the last value silently winning.
 * Total: returns a value or a field error, never throws.
 *
 * <p>Values come back as {@link Map} (objects, in document order), {@link List}, {@link String},
 * {@link Long} or {@link java.math.BigInteger} (integers), {@link java.math.BigDecimal} (numbers with a
 * fraction or an exponent, so {@code 1e3} is never mistaken for an integer), {@link Boolean} and null.
 */
public final class StrictJson {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Either the object or the first error, with the field it concerns ({@code body} when none). */
    public record Parsed(Map<String, Object> object, Problem.FieldError error) {}

    private StrictJson() {}

    public static Parsed parseObject(byte[] body) {
        // Jackson decodes some malformed UTF-8 (overlong forms such as C0 AF for '/') into other
        // characters; the JDK's decoder refuses every malformed form, so the text is never altered.
        if (!validUtf8(body)) {
            return error("body", "not valid UTF-8");
        }
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return error("body", "not a JSON object");
            }
            Map<String, Object> object = readObject(p);
            if (p.nextToken() != null) {
                return error("body", "not a JSON object: content after the object");
            }
            return new Parsed(object, null);
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (message.startsWith("Duplicate field") && e.getProcessor() instanceof JsonParser p) {
                return error(path(p.getParsingContext()), "duplicate key");
            }
            return error("body", "not valid JSON");
        } catch (IOException | RuntimeException e) {
            // Nothing else should escape Jackson for an in-memory array; refuse rather than throw.
            return error("body", "not valid JSON");
        }
    }

    static boolean validUtf8(byte[] body) {
        // ASCII, the common case, needs no decoder.
        boolean ascii = true;
        for (byte b : body) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return true;
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static Parsed error(String field, String detail) {
        return new Parsed(null, new Problem.FieldError(field, detail));
    }

    /** The dotted path of the field the parser is at: {@code metadata.order} for a nested key. */
    private static String path(JsonStreamContext ctx) {
        List<String> names = new ArrayList<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                names.add(0, c.getCurrentName());
            }
        }
        return names.isEmpty() ? "body" : RequestValidator.printable(String.join(".", names));
    }

    private static Map<String, Object> readObject(JsonParser p) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            out.put(name, readValue(p));
        }
        return out;
    }

    private static Object readValue(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> readObject(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT ->
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected token " + p.currentToken());
        };
    }
}
