package com.streamsocial.billing.schema;

import com.streamsocial.billing.config.Settings;

/**
 * {@code java -jar gateway.jar migrate} and {@code java -jar processor.jar migrate}: applies the
 * pending schema migrations to the configured {@code pg.uri} and exits, so that operators can migrate
 * before a rolling deploy. Exit status 0 when the schema is current, 1 when migrating failed, 2 on a
 * usage error. Safe to run while instances start: {@link Migrations} serialises them.
 */
public final class MigrateCommand {
    /** The services' default, as in their configurations. */
    private static final String PG_URI_DEFAULT = "postgresql://postgres@127.0.0.1:5433/postgres";

    private MigrateCommand() {}

    static String usage(String jar) {
        return """
                usage: java -jar %s [--config FILE] [--pg.uri=<uri>] migrate [--help]
                  Applies the pending schema migrations to pg.uri (from the configuration file, BILLING_PG_URI,
                  -Dpg.uri or --pg.uri) and exits.
                  Exit status: 0 schema current, 1 migration failed, 2 usage error.""".formatted(jar);
    }

    /**
     * {@code args} are those after {@code migrate}; {@code settings} are the jar's, loaded from its
     * configuration file, environment and flags ({@link Settings#load}).
     */
    public static int run(String jar, String[] args, Settings settings) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(usage(jar));
            return 0;
        }
        if (args.length > 0) {
            System.err.println(jar + " migrate takes no arguments, got: " + String.join(" ", args));
            System.err.println(usage(jar));
            return 2;
        }
        String pgUri = settings.string("pg.uri", PG_URI_DEFAULT);
        String password;
        try {
            // BILLING_PG_PASSWORD or pg.passwordFile, as the services read it; a -Dpg.password is refused.
            password = settings.secret("pg.password");
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        try {
            Migrations.Result r = Migrations.migrate(pgUri, password);
            if (r.adoptedFromLegacy() != null) {
                System.out.println(
                        "adopted the earlier runner's schema_migrations at version " + r.adoptedFromLegacy());
            }
            System.out.printf(
                    "schema at version %s: %d migration(s) applied%n",
                    r.toVersion() != null ? r.toVersion() : r.fromVersion(), r.applied());
            return 0;
        } catch (Exception e) {
            // The cause, never the URI: it may hold a password.
            System.err.println("migration failed: " + e.getMessage());
            return 1;
        }
    }
}
