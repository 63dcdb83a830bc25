package com.streamsocial.billing.contract;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Configuration read from, in rising precedence: built-in defaults, environment variables
 * ({@code BILLING_GATEWAY_LINGERMS} for {@code gateway.lingerMs}) and system properties
 * ({@code -Dgateway.lingerMs=5}). Keys under {@code kafka.} pass through to the Kafka clients
 * unchanged, as the Strimzi bridge does; code sets the safety settings after them, so those cannot be
 * weakened by accident.
 */
public final class Settings {
    private static final String ENV_PREFIX = "BILLING_";
    private static final String KAFKA_PREFIX = "kafka.";

    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(values);
    }

    /** Environment first, then system properties on top. */
    public static Settings fromEnvironment() {
        Map<String, String> v = new HashMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (e.getKey().startsWith(ENV_PREFIX + "KAFKA_")) {
                // Kafka keys are lower-case and dotted, so the mapping back is unambiguous.
                String k = e.getKey()
                        .substring(ENV_PREFIX.length())
                        .toLowerCase(Locale.ROOT)
                        .replace('_', '.');
                v.put(k, e.getValue());
            } else if (e.getKey().startsWith(ENV_PREFIX)) {
                v.put(envKey(e.getKey()), e.getValue());
            }
        }
        for (String name : System.getProperties().stringPropertyNames()) {
            v.put(name, System.getProperty(name));
        }
        return new Settings(v);
    }

    /** A copy with {@code overrides} on top. */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> v = new HashMap<>(values);
        v.putAll(overrides);
        return new Settings(v);
    }

    public String string(String key, String defaultValue) {
        String v = lookup(key);
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    public int integer(String key, int defaultValue) {
        String v = lookup(key);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " must be an integer, got '" + v + "'", e);
        }
    }

    public boolean bool(String key, boolean defaultValue) {
        String v = lookup(key);
        return v == null || v.isBlank() ? defaultValue : Boolean.parseBoolean(v.trim());
    }

    /**
     * A secret: from the environment ({@code BILLING_PG_PASSWORD} for {@code pg.password}) or from the
     * file named by {@code <key>File} (trailing newline dropped); null if neither. Never from a system
     * property: {@code -D} shows on the process list, so {@code -Dpg.password=...} is refused.
     */
    public String secret(String key) {
        if (System.getProperty(key) != null) {
            throw new IllegalArgumentException("secret " + key + " must not be given as -D" + key
                    + " (the process list shows it): use the environment or " + key + "File");
        }
        String file = string(key + "File", null);
        if (file != null) {
            try {
                return java.nio.file.Files.readString(java.nio.file.Path.of(file))
                        .strip();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read " + key + "File " + file + ": " + e.getMessage(), e);
            }
        }
        String v = lookup(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** Every {@code kafka.*} key with the prefix removed, to hand to a Kafka client. */
    public Map<String, Object> kafka() {
        Map<String, Object> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(KAFKA_PREFIX)) {
                out.put(k.substring(KAFKA_PREFIX.length()), v);
            }
        });
        return out;
    }

    private String lookup(String key) {
        String v = values.get(key);
        if (v != null) {
            return v;
        }
        // Environment variables lose case: BILLING_GATEWAY_LINGERMS matches gateway.lingerMs.
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getKey().equalsIgnoreCase(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String envKey(String env) {
        return env.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }
}
