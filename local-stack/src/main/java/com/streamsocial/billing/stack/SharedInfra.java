package com.streamsocial.billing.stack;

/**
 * Test support: one {@link LocalInfra} per JVM, started on first use on free ports and stopped when
 * the JVM exits, so that every integration test in a module shares one real broker and one real
 * PostgreSQL instead of paying their start-up each time.
 */
public final class SharedInfra {
    private static LocalInfra infra;

    private SharedInfra() {}

    public static synchronized LocalInfra get() {
        if (infra == null) {
            try {
                infra = LocalInfra.start(0, 0);
            } catch (Exception e) {
                throw new IllegalStateException("could not start the embedded Kafka and PostgreSQL", e);
            }
            LocalInfra started = infra;
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                try {
                                    started.close();
                                } catch (Exception ignored) {
                                    // The JVM is exiting; the temp directories are all that could be left.
                                }
                            },
                            "shared-infra-stop"));
        }
        return infra;
    }
}
