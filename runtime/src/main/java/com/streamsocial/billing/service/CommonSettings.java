package com.streamsocial.billing.service;

import com.streamsocial.billing.config.PgUri;
import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.kafka.TopicSafety;
import com.streamsocial.billing.tracing.TracingSettings;
import io.vertx.pgclient.PgConnectOptions;
import java.util.Map;

/**
 * The settings both services read alike (instance id, PostgreSQL, Kafka, the shutdown bound, tracing), parsed
 * in one place so that their keys, defaults and checks cannot drift apart between the two.
 */
public record CommonSettings(
        String instanceId,
        String pgUri,
        String pgPassword,
        int pgPoolSizeMax,
        Map<String, Object> kafka,
        long drainTimeoutMs,
        boolean allowUnderReplicated,
        TracingSettings tracing) {

    /** PostgreSQL, when {@code pg.uri} is not set: the local stack's. */
    static final String PG_URI_DEFAULT = "postgresql://postgres@127.0.0.1:5433/postgres";

    public CommonSettings {
        Check.argument(
                drainTimeoutMs >= 1_000, "shutdown.drainTimeoutMs must be at least 1000, got %d", drainTimeoutMs);
        kafka = Map.copyOf(kafka);
    }

    /**
     * {@code role}'s settings: its instance id is {@code <role>.instanceId} ({@code <role>-1} by
     * default); {@code pg.poolSizeMax} defaults to {@code pgPoolSizeMaxDefault}.
     */
    public static CommonSettings from(Settings s, String role, int pgPoolSizeMaxDefault) {
        return new CommonSettings(
                s.string(role + ".instanceId", role + "-1"),
                pgUri(s),
                // BILLING_PG_PASSWORD or pg.passwordFile, never -D (the process list shows it).
                s.secret("pg.password"),
                s.integer("pg.poolSizeMax", pgPoolSizeMaxDefault),
                s.kafka(),
                s.integer("shutdown.drainTimeoutMs", 20_000),
                // Off by default: only the single-broker local stack and tests set it (docs/DEVELOPMENT.md,
                // docs/DEPLOYMENT.md).
                s.bool(TopicSafety.OVERRIDE_SETTING, false),
                TracingSettings.from(s, role));
    }

    /** The PostgreSQL URI; the services and their commands read it alike. */
    public static String pgUri(Settings s) {
        return s.string("pg.uri", PG_URI_DEFAULT);
    }

    /** PostgreSQL as {@code s} names it, for a command that needs nothing else of the settings. */
    public static PgConnectOptions pgConnect(Settings s) {
        return pgConnect(pgUri(s), s.secret("pg.password"));
    }

    /** PostgreSQL: the URI, with the password from the environment or a file instead of its own if set. */
    public PgConnectOptions pgConnect() {
        return pgConnect(pgUri, pgPassword);
    }

    private static PgConnectOptions pgConnect(String uri, String password) {
        PgConnectOptions o = PgUri.connectOptions(uri);
        return password == null ? o : o.setPassword(password);
    }
}
