package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int execute(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(out));
        return cl.execute(args);
    }

    @Test
    void helpListsTheFlagsAndSucceeds() {
        assertThat(execute("run", "--help")).isZero();
        assertThat(out.toString())
                .contains("--url", "--rate", "--duration", "--connections", "--mix", "--report", "--outstanding-max");
        assertThat(execute("--help")).isZero();
        assertThat(out.toString()).contains("run", "max", "drain", "stack");
    }

    @Test
    void anUnknownFlagPrintsUsageAndExitsTwo() {
        assertThat(execute("run", "--rat", "100")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option", "Usage");
    }

    @Test
    void anUnknownCommandOrABadValueExitsTwo() {
        assertThat(execute("load")).isEqualTo(2);
        assertThat(execute("run", "--duration", "forever")).isEqualTo(2);
        assertThat(execute("max", "--step-duration", "x")).isEqualTo(2);
        assertThat(execute("drain", "--events", "many")).isEqualTo(2);
        assertThat(execute("run", "--duration", "0s")).isEqualTo(2);
        assertThat(execute("max", "--start", "1000", "--max-rate", "500")).isEqualTo(2);
        assertThat(err.toString()).contains("Usage");
    }

    @Test
    void theStackKeepsItsDataInDotLocalStackUnlessToldOtherwise() {
        CommandLine cl = Main.commandLine();
        Main.Stack stack = cl.getSubcommands().get("stack").getCommand();
        cl.parseArgs("stack");
        assertThat(stack.dataDir()).isEqualTo(java.nio.file.Path.of(".local-stack"));

        cl = Main.commandLine();
        stack = cl.getSubcommands().get("stack").getCommand();
        cl.parseArgs("stack", "--data-dir", "/tmp/billing-data");
        assertThat(stack.dataDir()).isEqualTo(java.nio.file.Path.of("/tmp/billing-data"));

        cl = Main.commandLine();
        stack = cl.getSubcommands().get("stack").getCommand();
        cl.parseArgs("stack", "--fresh");
        assertThat(stack.dataDir()).as("fresh: no data directory").isNull();
    }

    @Test
    void freshAndADataDirectoryTogetherAreAUsageError() {
        assertThat(execute("stack", "--fresh", "--data-dir", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("mutually exclusive", "Usage");
        assertThat(execute("stack", "--help")).isZero();
        assertThat(out.toString()).contains("--data-dir", "--fresh", "refused");
    }

    @Test
    void aBadMixExitsTwoBeforeSendingAnything() {
        assertThat(execute("run", "--mix", "new=90,refund=10", "--no-lag", "--url", "http://127.0.0.1:1"))
                .isEqualTo(2);
    }
}
