package com.streamsocial.billing.logging;

import com.streamsocial.billing.config.Settings;
import java.util.Locale;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * Applies the logging settings to log4j2 (configured by {@code log4j2.xml}): {@code log.format}
 * ({@code text}, the default, or {@code json}: one JSON object per line) and {@code log.level} (the
 * root level, default {@code INFO}). Call it once the settings are loaded and before the service
 * logs anything; an invalid value fails naming its key.
 */
public final class Logging {
    /** The key of a payment's id on a log line: a JSON field, and {@code payment_id=} in text. */
    public static final String PAYMENT_ID = "payment_id";

    /** The system properties {@code log4j2.xml} reads. */
    static final String FORMAT_PROPERTY = "billing.log.format";

    static final String LEVEL_PROPERTY = "billing.log.level";

    private static final Set<String> FORMATS = Set.of("text", "json");
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    private Logging() {}

    /**
     * A service's start: its settings from the file, the environment and the flags ({@link
     * Settings#load}), then the log format and level, before anything logs. A missing or unreadable
     * file, or a secret where others can read it, prints {@code <service> refused to start: ...} and
     * exits 1, before anything connects.
     */
    public static Settings.Loaded loadAndConfigure(String service, String[] rawArgs) {
        try {
            Settings.Loaded loaded = Settings.load(rawArgs);
            configure(loaded.settings());
            return loaded;
        } catch (IllegalArgumentException e) {
            System.err.println(service + " refused to start: " + e.getMessage());
            System.exit(1);
            throw e; // not reached
        }
    }

    public static void configure(Settings settings) {
        String format = settings.string("log.format", "text").toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException(
                    "setting log.format must be text or json, got '" + settings.string("log.format", "") + "'");
        }
        String level = settings.string("log.level", System.getProperty(LEVEL_PROPERTY, "INFO"))
                .toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException("setting log.level must be one of " + LEVELS + ", got '" + level + "'");
        }
        System.setProperty(FORMAT_PROPERTY, format);
        System.setProperty(LEVEL_PROPERTY, level);
        // The arbiters in log4j2.xml are evaluated when the configuration is built: build it again,
        // in case something logged (and so configured log4j) before the settings were read.
        ((LoggerContext) LogManager.getContext(false)).reconfigure();
    }
}
