package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code loadtest.jar chaos} as a user runs it: six SIGKILLs across the gateway, the processor and
 * the broker (each its own JVM) under load, then the checks. Exit 0 and no violation; every fault
 * printed with its recovery. The run's length is set by {@code -Dchaos.kills} (default 6).
 */
class ChaosCommandIT {
    @Test
    void sixKillsAcrossGatewayProcessorAndBrokerLeaveNoViolation() throws Exception {
        int kills = Integer.getInteger("chaos.kills", 6);
        JarProcess p = JarProcess.start(
                "loadtest",
                Map.of(),
                "chaos",
                "--seed",
                "8",
                "--kills",
                Integer.toString(kills),
                "--targets",
                "gateway,processor,broker",
                "--interval-ms",
                "2000,5000",
                "--rate",
                "50");
        Integer exit = p.awaitExit(15 * 60_000);
        String out = p.stdout();
        System.out.println(out);
        assertThat(exit).as(p.output()).isEqualTo(0);
        // No --tuned: the processors run the production defaults, which are what this proves.
        assertThat(out).contains("processor(s) (exactly-once, production defaults)");
        assertThat(out).contains("violations: 0");
        assertThat(out.lines().filter(l -> l.matches("fault \\d+: .*SIGKILL .* recovered after \\d+ ms.*")))
                .as("every kill printed with its recovery")
                .hasSize(kills);
        for (String target : new String[] {"gateway-1", "processor-1", "broker-1"}) {
            assertThat(out).contains("SIGKILL " + target);
        }
        assertThat(out)
                .containsPattern("accepted \\(2xx\\): [1-9]\\d*, complete \\(recorded, charged, one outcome\\): [1-9]");
        assertThat(out).contains("reconcile breaks: 0");
    }
}
