package com.streamsocial.billing.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Configuration read from, in rising precedence: built-in defaults, a properties file ({@code --config
 * FILE} or {@code BILLING_CONFIG_FILE}), environment variables ({@code BILLING_GATEWAY_LINGERMS} for
 * {@code gateway.lingerMs}), system properties ({@code -Dgateway.lingerMs=5}) and command-line flags
 * ({@code --gateway.lingerMs=5}). Keys under {@code kafka.} pass through to the Kafka clients
 * unchanged, as the Strimzi bridge does; code sets the safety settings after them, so those cannot be
 * weakened by accident. It remembers every key read and the value in effect, so that a service can
 * log its {@link #effective() effective configuration} (secrets masked) and warn about {@link
 * #unknownKeys unknown keys}; a value that does not parse fails naming its key. A secret is refused
 * where others could read it: as {@code -D} or a flag (the process list), or in a configuration file
 * that group or others may read.
 */
public final class Settings {
    private static final String ENV_PREFIX = "BILLING_";
    private static final String KAFKA_PREFIX = "kafka.";
    /** The environment variable naming the configuration file, when {@code --config} does not. */
    public static final String CONFIG_FILE_ENV = "BILLING_CONFIG_FILE";
    /** The key under which the configuration file in use shows in the effective configuration. */
    public static final String CONFIG_FILE_KEY = "config.file";

    /** A key whose name contains one of these holds a secret: its value is never logged. */
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(secret|password|key|token|jaas).*");
    /**
     * Keys that {@link #SECRET_KEY} matches but whose value only names or describes a secret:
     * {@code pg.passwordFile}, {@code http.tls.keyPath}, {@code kafka.ssl.keystore.location}, {@code
     * kafka.ssl.keystore.type}. Still masked in the log; allowed in any configuration file and flag.
     */
    private static final Pattern NAMES_A_SECRET =
            Pattern.compile("(?i).*(file|path|\\.location|\\.type|\\.algorithm|\\.algorithms)");
    /** The password of a URI's user part ({@code postgresql://user:password@host}). */
    private static final Pattern URI_PASSWORD = Pattern.compile("(://[^:/@]*:)[^@]*@");
    /** A password given as a URI query parameter ({@code ?password=...}). */
    private static final Pattern QUERY_PASSWORD = Pattern.compile("(?i)([?&]password=)[^&]*");
    /** {@code --gateway.lingerMs=5}: a setting's key always has a dot, a command's flag never has. */
    private static final Pattern FLAG =
            Pattern.compile("--([A-Za-z][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]+)+)=(.*)", Pattern.DOTALL);

    /** Where a value came from, in rising precedence. */
    public enum Source {
        FILE,
        ENVIRONMENT,
        SYSTEM_PROPERTY,
        FLAG,
        /** Given in code ({@link #of}, {@link #with}): tests and launchers. */
        GIVEN
    }

    private record Layer(Source source, Map<String, String> values) {}

    /** Highest precedence first. */
    private final List<Layer> layers;
    /** Every key read, with the value in effect (the default when unset), in key order. */
    private final Map<String, String> read = new TreeMap<>();

    private Settings(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(List.of(new Layer(Source.GIVEN, Map.copyOf(values))));
    }

    /** Environment first, then system properties on top; no file, no flags. */
    public static Settings fromEnvironment() {
        return new Settings(List.of(
                new Layer(Source.SYSTEM_PROPERTY, systemProperties(System.getProperties())),
                new Layer(Source.ENVIRONMENT, environment(System.getenv()))));
    }

    /**
     * What a service's command line configures: the settings, and the arguments left once the flags
     * ({@code --key=value}) and {@code --config FILE} are taken out (the command, such as {@code
     * migrate}, and its own options).
     */
    public record Loaded(Settings settings, List<String> args) {}

    /** {@link #load(String[], Map, Properties)} with this process's environment and system properties. */
    public static Loaded load(String[] args) {
        return load(args, System.getenv(), System.getProperties());
    }

    /**
     * Reads defaults &lt; file &lt; environment &lt; system properties &lt; flags. The file is named by
     * {@code --config FILE} (or {@code --config=FILE}), else by {@code BILLING_CONFIG_FILE}; none is
     * fine. Fails with an {@link IllegalArgumentException} naming the file when it cannot be read, and
     * naming the key when a secret is given where others could read it (a flag, a {@code -D} of a
     * {@code kafka.*} secret, or a file that group or others may read).
     */
    public static Loaded load(String[] args, Map<String, String> env, Properties systemProperties) {
        Map<String, String> flags = new HashMap<>();
        List<String> rest = new ArrayList<>();
        String configFile = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            java.util.regex.Matcher m = FLAG.matcher(a);
            if (a.equals("--config")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--config needs a file");
                }
                configFile = args[++i];
            } else if (a.startsWith("--config=")) {
                configFile = a.substring("--config=".length());
            } else if (m.matches()) {
                String key = m.group(1);
                if (holdsSecret(key)) {
                    throw new IllegalArgumentException("secret " + key + " must not be given as --" + key
                            + " (the process list shows it): set it in the environment as " + environmentName(key)
                            + ", or put it in a file named by " + key + "File");
                }
                refuseUriPassword("--" + key, m.group(2));
                flags.put(key, m.group(2));
            } else {
                rest.add(a);
            }
        }
        if (configFile == null) {
            String fromEnv = env.get(CONFIG_FILE_ENV);
            configFile = fromEnv == null || fromEnv.isBlank() ? null : fromEnv.trim();
        }
        Map<String, String> sys = systemProperties(systemProperties);
        for (Map.Entry<String, String> e : sys.entrySet()) {
            refuseUriPassword("-D" + e.getKey(), e.getValue());
        }
        for (String k : sys.keySet()) {
            // secret() refuses the others when read; a kafka.* secret is never read through it.
            if (k.startsWith(KAFKA_PREFIX) && holdsSecret(k)) {
                throw new IllegalArgumentException("secret " + k + " must not be given as -D" + k
                        + " (the process list shows it): set it in the environment as " + environmentName(k)
                        + ", or in the configuration file (readable by its owner only)");
            }
        }
        List<Layer> layers = new ArrayList<>();
        layers.add(new Layer(Source.FLAG, flags));
        layers.add(new Layer(Source.SYSTEM_PROPERTY, sys));
        layers.add(new Layer(Source.ENVIRONMENT, environment(env)));
        if (configFile != null) {
            layers.add(new Layer(Source.FILE, readFile(Path.of(configFile))));
        }
        Settings settings = new Settings(layers);
        if (configFile != null) {
            settings.remember(
                    CONFIG_FILE_KEY, Path.of(configFile).toAbsolutePath().toString());
        }
        return new Loaded(settings, List.copyOf(rest));
    }

    /**
     * A URI holding a password ({@code postgresql://user:pw@host}, {@code ?password=}) given where the
     * process list shows it: refused, naming the flag, never the value.
     */
    private static void refuseUriPassword(String flag, String value) {
        if (holdsUriPassword(value)) {
            throw new IllegalArgumentException(flag + " holds a password (the process list shows it): give the URI"
                    + " without it, and the password in the environment (BILLING_PG_PASSWORD) or a file named by"
                    + " pg.passwordFile; or give the whole URI in the environment (BILLING_PG_URI)");
        }
    }

    /** Whether a value holds a URI password: a launcher passes such a value in the environment, never as -D. */
    public static boolean holdsUriPassword(String value) {
        return value != null
                && (URI_PASSWORD.matcher(value).find()
                        || QUERY_PASSWORD.matcher(value).find());
    }

    /**
     * A Java properties file (UTF-8). A secret in it ({@link #holdsSecret}) is accepted only when the
     * file is readable by its owner alone (as ssh and libpq demand of theirs): name a secret file
     * ({@code pg.passwordFile}) in a shared file instead.
     */
    static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (java.io.Reader r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | RuntimeException e) {
            // RuntimeException: Properties.load throws IllegalArgumentException on a malformed unicode escape.
            throw new IllegalArgumentException(
                    "cannot read the configuration file " + file + ": "
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()),
                    e);
        }
        Map<String, String> out = new HashMap<>();
        for (String k : p.stringPropertyNames()) {
            out.put(k.trim(), p.getProperty(k));
        }
        List<String> secrets =
                out.keySet().stream().filter(Settings::holdsSecret).sorted().toList();
        if (!secrets.isEmpty()) {
            String perms;
            try {
                Set<PosixFilePermission> s = Files.getPosixFilePermissions(file);
                if (!s.contains(PosixFilePermission.GROUP_READ) && !s.contains(PosixFilePermission.OTHERS_READ)) {
                    return out;
                }
                perms = PosixFilePermissions.toString(s);
            } catch (IOException | UnsupportedOperationException e) {
                perms = "permissions unknown";
            }
            String first = secrets.get(0);
            throw new IllegalArgumentException("the configuration file " + file + " holds the secret " + first
                    + (secrets.size() > 1 ? " (and " + (secrets.size() - 1) + " more)" : "")
                    + " but group or others may read it (" + perms + "): chmod 600 it, or name a file"
                    + " holding the secret (" + first + "File), or set it in the environment ("
                    + environmentName(first) + ")");
        }
        return out;
    }

    private static Map<String, String> environment(Map<String, String> env) {
        Map<String, String> v = new HashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().equals(CONFIG_FILE_ENV)) {
                continue;
            }
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
        return v;
    }

    private static Map<String, String> systemProperties(Properties props) {
        Map<String, String> v = new HashMap<>();
        for (String name : props.stringPropertyNames()) {
            v.put(name, props.getProperty(name));
        }
        return v;
    }

    /** A copy with {@code overrides} on top. */
    public Settings with(Map<String, String> overrides) {
        List<Layer> l = new ArrayList<>();
        l.add(new Layer(Source.GIVEN, Map.copyOf(overrides)));
        l.addAll(layers);
        Settings s = new Settings(l);
        return s;
    }

    /** Where the value of {@code key} comes from, or null when it is unset (its default is in effect). */
    public Source source(String key) {
        Layer l = layerOf(key);
        return l == null ? null : l.source();
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
        java.util.SortedSet<String> all = new java.util.TreeSet<>();
        layers.forEach(l -> all.addAll(l.values().keySet()));
        for (String k : all) {
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
        return QUERY_PASSWORD
                .matcher(URI_PASSWORD.matcher(value).replaceAll("$1****@"))
                .replaceAll("$1****");
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
        Source from = source(key);
        if (from == Source.FLAG) {
            throw new IllegalArgumentException("secret " + key + " must not be given as --" + key
                    + " (the process list shows it): set it in the environment as " + environmentName(key)
                    + ", or put it in a file named by " + key + "File");
        }
        if (System.getProperty(key) != null || from == Source.SYSTEM_PROPERTY) {
            throw new IllegalArgumentException("secret " + key + " must not be given as -D" + key
                    + " (the process list shows it): set it in the environment as " + environmentName(key)
                    + ", or put it in a file named by " + key + "File");
        }
        String file = string(key + "File", null);
        if (file != null) {
            // Remembered (masked in the effective configuration), so the key is not "unknown".
            return remember(key, readSecretFile(key + "File", file));
        }
        String v = lookup(key);
        return remember(key, v == null || v.isBlank() ? null : v.trim());
    }

    /**
     * The secret held in {@code file} (trailing newline dropped), named {@code what} in errors (a key
     * such as {@code pg.passwordFile}, or a flag such as {@code --provider-key-file}). Refused, as the
     * configuration file is, unless only its owner may read it (where POSIX permissions exist).
     */
    public static String readSecretFile(String what, String file) {
        try {
            Path path = Path.of(file);
            String perms = null;
            try {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
                if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                    perms = PosixFilePermissions.toString(p);
                }
            } catch (UnsupportedOperationException e) {
                // No POSIX permissions (not a POSIX file system): nothing to check.
            }
            if (perms != null) {
                throw new IllegalArgumentException(what + " " + file
                        + " holds a secret but group or others may read it (" + perms + "): chmod 600 it");
            }
            return Files.readString(path).strip();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code key} names a secret: its value is masked in the effective configuration, and a
     * launcher passes it in the environment ({@link #environmentName}), never as {@code -D}.
     */
    public static boolean isSecret(String key) {
        return SECRET_KEY.matcher(key).matches();
    }

    /**
     * Whether the value of {@code key} is itself a secret ({@code pg.password}, {@code
     * provider.secretKey}, {@code kafka.sasl.jaas.config}), rather than naming or describing one
     * ({@code pg.passwordFile}, {@code kafka.ssl.keystore.location}): such a value is refused as a
     * flag and in a configuration file that others may read.
     */
    public static boolean holdsSecret(String key) {
        return isSecret(key) && !NAMES_A_SECRET.matcher(key).matches();
    }

    /** The environment variable that sets {@code key}: {@code BILLING_PROVIDER_SECRETKEY} for {@code provider.secretKey}. */
    public static String environmentName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** Every {@code kafka.*} key with the prefix removed, to hand to a Kafka client. */
    public Map<String, Object> kafka() {
        Map<String, Object> out = new TreeMap<>();
        for (int i = layers.size() - 1; i >= 0; i--) {
            layers.get(i).values().forEach((k, v) -> {
                if (k.startsWith(KAFKA_PREFIX)) {
                    out.put(k.substring(KAFKA_PREFIX.length()), v);
                }
            });
        }
        return out;
    }

    private String lookup(String key) {
        Layer l = layerOf(key);
        return l == null ? null : valueIn(l, key);
    }

    /**
     * The layer of highest precedence that sets {@code key}. Within a layer an exact match first;
     * then ignoring case, as environment variables lose it ({@code BILLING_GATEWAY_LINGERMS} sets
     * {@code gateway.lingerMs}), so the environment overrides the file whatever the case.
     */
    private Layer layerOf(String key) {
        for (Layer l : layers) {
            if (valueIn(l, key) != null) {
                return l;
            }
        }
        return null;
    }

    private static String valueIn(Layer l, String key) {
        String v = l.values().get(key);
        if (v != null) {
            return v;
        }
        for (Map.Entry<String, String> e : l.values().entrySet()) {
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
