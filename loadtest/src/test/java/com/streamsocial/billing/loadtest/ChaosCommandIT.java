package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code loadtest.jar chaos} as a user runs it, at the production defaults (no --tuned): six SIGKILLs
 * across the gateway, the processor and the broker (each its own JVM) under load from retrying
 * clients, then the checks. Exit 0 and no violation (which includes: at least 95 % of the load offered
 * outside kill windows accepted, nothing outstanding, no unplanned exit, the concurrent checks had
 * material); every fault printed with its recovery. The run's length is set by {@code -Dchaos.kills}
 * (default 6).
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
        // The new checks ran and had material: the verification waited for rest, nothing was left
        // outstanding, and the accepted share outside kill windows was measured (the run fails below 95 %).
        assertThat(out).contains("quiescence (every last stable offset at its high watermark): reached after");
        assertThat(out).contains("answers awaited: 0 requests still without a definite answer");
        assertThat(out).containsPattern("accepted outside kill windows: [1-9]\\d* of [1-9]\\d* offered");
        assertThat(out).containsPattern("sandbox charges: [1-9]\\d* \\(without a payment id: 0\\)");
        out.lines()
                .filter(l -> l.startsWith("faults injected")
                        || l.startsWith("accepted")
                        || l.startsWith("unknown")
                        || l.startsWith("unanswered")
                        || l.startsWith("violations"))
                .forEach(l -> System.out.println("ChaosCommandIT figure: " + l));
    }
}
