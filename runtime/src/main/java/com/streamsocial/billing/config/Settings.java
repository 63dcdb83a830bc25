package com.streamsocial.billing.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Configuration read from, in rising precedence: built-in defaults, environment variables
 * ({@code BILLING_GATEWAY_LINGERMS} for {@code gateway.lingerMs}) and system properties
 * ({@code -Dgateway.lingerMs=5}). Keys under {@code kafka.} pass through to the Kafka clients
 * unchanged, as the Strimzi bridge does; code sets the safety settings after them, so those cannot be
 * weakened by accident. It remembers every key read and the value in effect, so that a service can
 * log its {@link #effective() effective configuration} (secrets masked) and warn about {@link
 * #unknownKeys unknown keys}; a value that does not parse fails naming its key.
 */
public final class Settings {
    private static final String ENV_PREFIX = "BILLING_";
    private static final String KAFKA_PREFIX = "kafka.";

    /** A key whose name contains one of these holds a secret: its value is never logged. */
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(secret|password|key|token|jaas).*");
    /** The password of a URI's user part ({@code postgresql://user:password@host}). */
    private static final Pattern URI_PASSWORD = Pattern.compile("(://[^:/@]*:)[^@]*@");

    private final Map<String, String> values;
    /** Every key read, with the value in effect (the default when unset), in key order. */
    private final Map<String, String> read = new TreeMap<>();

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
        return remember(key, v == null || v.isBlank() ? defaultValue : v.trim());
    }

    public int integer(String key, int defaultValue) {
        String v = lookup(key);
        if (v == null || v.isBlank()) {
            return remember(key, defaultValue);
        }
        try {
            return remember(key, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " must be an integer, got '" + v + "'", e);
        }
    }

    /** {@code true} or {@code false} (any case); anything else fails rather than reading as false. */
    public boolean bool(String key, boolean defaultValue) {
        String v = lookup(key);
        if (v == null || v.isBlank()) {
            return remember(key, defaultValue);
        }
        String t = v.trim();
        if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("setting " + key + " must be true or false, got '" + v + "'");
        }
        return remember(key, Boolean.parseBoolean(t));
    }

    /**
     * Every key read so far with the value in effect, and every {@code kafka.*} key, in key order;
     * secrets masked: the value of a key naming a secret, password, key, token or JAAS configuration,
     * and the password in a URI.
     */
    public synchronized Map<String, String> effective() {
        Map<String, String> out = new TreeMap<>();
        read.forEach((k, v) -> out.put(k, masked(k, v)));
        kafka().forEach((k, v) -> out.put(KAFKA_PREFIX + k, masked(k, String.valueOf(v))));
        return out;
    }

    /**
     * Keys set under one of {@code prefixes} (for example {@code gateway.}) that nothing has read: a
     * typo or a setting of another service. Compared ignoring case, as environment variables lose it.
     */
    public synchronized List<String> unknownKeys(String... prefixes) {
        List<String> out = new ArrayList<>();
        for (String k : new TreeMap<>(values).keySet()) {
            String lower = k.toLowerCase(Locale.ROOT);
            boolean ours = false;
            for (String p : prefixes) {
                ours |= lower.startsWith(p.toLowerCase(Locale.ROOT));
            }
            if (ours && read.keySet().stream().noneMatch(r -> r.equalsIgnoreCase(k))) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * Logs the effective configuration of {@code service} (one line, secrets masked) and warns about
     * each unknown key under {@code prefixes}. Call it once the service's configuration is read.
     */
    public void logEffective(org.slf4j.Logger log, String service, String... prefixes) {
        log.info("{} configuration: {}", service, effective());
        for (String k : unknownKeys(prefixes)) {
            log.warn("unknown setting {} ignored by the {}: a typo, or another service's setting?", k, service);
        }
    }

    static String masked(String key, String value) {
        if (value == null) {
            return null;
        }
        if (isSecret(key)) {
            return "****";
        }
        return URI_PASSWORD.matcher(value).replaceAll("$1****@");
    }

    private synchronized <T> T remember(String key, T value) {
        read.put(key, value == null ? null : String.valueOf(value));
        return value;
    }

    /**
     * A secret: from the environment ({@code BILLING_PG_PASSWORD} for {@code pg.password}) or from the
     * file named by {@code <key>File} (trailing newline dropped); null if neither. Never from a system
     * property: {@code -D} shows on the process list, so {@code -Dpg.password=...} is refused.
     */
    public String secret(String key) {
        if (System.getProperty(key) != null) {
            throw new IllegalArgumentException("secret " + key + " must not be given as -D" + key
                    + " (the process list shows it): set it in the environment as " + environmentName(key)
                    + ", or put it in a file named by " + key + "File");
        }
        String file = string(key + "File", null);
        if (file != null) {
            try {
                // Remembered (masked in the effective configuration), so the key is not "unknown".
                return remember(
                        key,
                        java.nio.file.Files.readString(java.nio.file.Path.of(file))
                                .strip());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read " + key + "File " + file + ": " + e.getMessage(), e);
            }
        }
        String v = lookup(key);
        return remember(key, v == null || v.isBlank() ? null : v.trim());
    }

    /**
     * Whether {@code key} names a secret: its value is masked in the effective configuration, and a
     * launcher passes it in the environment ({@link #environmentName}), never as {@code -D}.
     */
    public static boolean isSecret(String key) {
        return SECRET_KEY.matcher(key).matches();
    }

    /** The environment variable that sets {@code key}: {@code BILLING_PROVIDER_SECRETKEY} for {@code provider.secretKey}. */
    public static String environmentName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
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
