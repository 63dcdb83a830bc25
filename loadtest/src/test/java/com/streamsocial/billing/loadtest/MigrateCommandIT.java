package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.stack.EmbeddedPg;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code migrate} on both runnable jars, started as an operator would before a rolling deploy, on a
 * real PostgreSQL: both at once on an empty database migrate it once, and a failure is a non-zero exit.
 */
class MigrateCommandIT {
    @Test
    void bothJarsMigrateAtOnceAndTheSchemaIsMigratedOnce() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (EmbeddedPg pg = EmbeddedPg.start(0);
                Pg sql = new Pg(vertx, pg.uri())) {
            Map<String, String> settings = Map.of("pg.uri", pg.uri());
            JarProcess gateway = JarProcess.start("gateway", settings, "migrate");
            JarProcess processor = JarProcess.start("processor", settings, "migrate");
            assertThat(gateway.awaitExit(120_000)).as(gateway.output()).isEqualTo(0);
            assertThat(processor.awaitExit(120_000)).as(processor.output()).isEqualTo(0);

            // One of them applied every migration, the other waited for it and found none left.
            int n = migrationFiles();
            List<String> lines = List.of(lastLine(gateway.stdout()), lastLine(processor.stdout()));
            assertThat(lines)
                    .containsExactlyInAnyOrder(
                            "schema at version " + n + ": " + n + " migration(s) applied",
                            "schema at version " + n + ": 0 migration(s) applied");
            assertThat(sql.count("SELECT count(*) FROM flyway_schema_history WHERE success AND type = 'SQL'"))
                    .isEqualTo(n);
            assertThat(sql.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'payments'"))
                    .isEqualTo(1);

            JarProcess again = JarProcess.start("gateway", settings, "migrate");
            assertThat(again.awaitExit(120_000)).as(again.output()).isEqualTo(0);
            assertThat(again.stdout()).contains("0 migration(s) applied");
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void aDatabaseItCannotReachIsExitStatusOne() throws Exception {
        JarProcess p = JarProcess.start(
                "processor", Map.of("pg.uri", "postgresql://postgres:hunter2@127.0.0.1:1/postgres"), "migrate");
        assertThat(p.awaitExit(120_000)).as(p.output()).isEqualTo(1);
        assertThat(p.stderr()).contains("migration failed").doesNotContain("hunter2");
    }

    @Test
    void migrateRefusesArguments() throws Exception {
        JarProcess p = JarProcess.start("gateway", Map.of(), "migrate", "--target", "2");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(2);
        assertThat(p.stderr()).contains("usage: java").contains("gateway.jar migrate");
    }

    private static String lastLine(String out) {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** The schema module's migration files (V1__… to Vn__…, numbered without gaps): n. */
    private static int migrationFiles() throws java.io.IOException {
        java.nio.file.Path dir = java.nio.file.Path.of("..", "schema", "src", "main", "resources", "db", "migration");
        try (var files = java.nio.file.Files.list(dir)) {
            int n = (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql"))
                    .count();
            assertThat(n).as("migrations in %s", dir.toAbsolutePath()).isGreaterThanOrEqualTo(6);
            return n;
        }
    }
}
