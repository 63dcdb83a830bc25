package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runnable jars, started as a user would, refuse arguments they do not know: usage on standard
 * error and exit status 2, before they connect to anything (the settings point nowhere, so a jar that
 * went on to start would fail differently).
 */
class CommandLineIT {
    private static final Map<String, String> NOWHERE = Map.of(
            "pg.uri", "postgresql://postgres@127.0.0.1:1/postgres",
            "kafka.bootstrap.servers", "127.0.0.1:1");

    @Test
    void theGatewayRefusesArgumentsWithItsUsage() throws Exception {
        // It used to start a full gateway as gateway-1 on any argument; only the keys commands exist.
        JarProcess p = JarProcess.start("gateway", NOWHERE, "keys", "frobnicate", "tenant-b");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(2);
        assertThat(p.stderr())
                .contains("usage: java")
                .contains("gateway.jar")
                .contains("keys frobnicate tenant-b")
                .contains("keys create TENANT");
        assertThat(p.stdout()).doesNotContain("listening");
        JarProcess serve = JarProcess.start("gateway", NOWHERE, "serve");
        assertThat(serve.awaitExit(60_000)).as(serve.output()).isEqualTo(2);
        assertThat(serve.stdout()).doesNotContain("listening");
    }

    @Test
    void theGatewayPrintsItsUsageOnHelp() throws Exception {
        JarProcess p = JarProcess.start("gateway", NOWHERE, "--help");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(0);
        assertThat(p.stdout()).contains("usage: java").contains("gateway.jar");
    }

    @Test
    void theProcessorRefusesAnUnknownCommandWithItsUsage() throws Exception {
        JarProcess p = JarProcess.start("processor", NOWHERE, "keys", "create", "tenant-b");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(2);
        assertThat(p.stderr()).contains("usage: java").contains("processor.jar").contains("reconcile [options]");
        assertThat(p.stdout()).doesNotContain("ready");
    }

    @Test
    void reconcileRefusesAnUnknownOptionWithItsUsage() throws Exception {
        JarProcess p = JarProcess.start("processor", NOWHERE, "reconcile", "--hours", "1", "--bogus");
        assertThat(p.awaitExit(60_000)).as(p.output()).isEqualTo(2);
        assertThat(p.stderr())
                .contains("unknown flag --bogus")
                .contains("usage: java -jar processor.jar [--config FILE] [--<setting>=<value> ...] reconcile");
        assertThat(p.stdout()).doesNotContain("reconciliation ");
    }
}
