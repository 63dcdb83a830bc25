package com.streamsocial.billing.processor.webhook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A webhook body as a tree of {@link Map}, {@link List}, {@link String}, {@link Long}, {@link
 * java.math.BigDecimal}, {@link Boolean} and null, read strictly (a duplicate key is an error) and
 * boundedly. Total: {@link #parse} returns the root object or null, never throws, so a body that is not
 * what the gateway verified never stops the loop.
 */
final class JsonTree {
    /** Nesting depth of a provider's event, at most (Stripe's are about 6 deep). */
    static final int DEPTH_MAX = 32;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(DEPTH_MAX).build())
            .build();

    private JsonTree() {}

    /** The body's root object, or null when it is not one JSON object. */
    static Map<String, Object> parse(byte[] body) {
        if (body == null) {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Map<String, Object> root = object(p);
            return p.nextToken() == null ? root : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            out.put(name, value(p));
        }
        return out;
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(value(p));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            default -> null;
        };
    }

    /** The map at {@code key} of {@code m}, or an empty one. */
    static Map<?, ?> map(Object m, String key) {
        return m instanceof Map<?, ?> mm && mm.get(key) instanceof Map<?, ?> v ? v : Map.of();
    }

    /** The text at {@code key}, or null. */
    static String text(Map<?, ?> m, String key) {
        return m.get(key) instanceof String s ? s : null;
    }

    /** The integer at {@code key}, or null. */
    static Long integer(Map<?, ?> m, String key) {
        return m.get(key) instanceof Long l ? l : null;
    }

    /** The list at {@code key}, or an empty one. */
    static List<?> list(Map<?, ?> m, String key) {
        return m.get(key) instanceof List<?> l ? l : List.of();
    }
}
