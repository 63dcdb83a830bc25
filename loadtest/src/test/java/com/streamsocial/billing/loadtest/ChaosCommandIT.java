package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code loadtest.jar chaos} as a user runs it, at the production defaults (no --tuned): seven faults
 * under load from retrying clients, SIGKILLs of the gateway, the processor and the broker (each its own
 * JVM), and PostgreSQL's: the SIGKILL of the gateway's lease backend (PostgreSQL restarts, every
 * service stops on its lease and is restarted) and a 6.5 s stall of every PostgreSQL process (the
 * services ride it out: an exit is a violation); then the checks. Exit 0 and no violation (which
 * includes: at least 95 % of the load offered outside fault windows accepted, nothing outstanding, no
 * unplanned exit, the concurrent checks had material, the refund mix's checks had material and
 * held); every fault printed with its recovery. The run's length is set by {@code -Dchaos.kills}
 * (default 7: seed 5 draws both kinds of postgres fault).
 */
class ChaosCommandIT {
    @Test
    void sevenFaultsAcrossGatewayProcessorBrokerAndPostgresLeaveNoViolation() throws Exception {
        int kills = Integer.getInteger("chaos.kills", 7);
        JarProcess p = JarProcess.start(
                "loadtest",
                Map.of(),
                "chaos",
                "--seed",
                "5",
                "--kills",
                Integer.toString(kills),
                "--targets",
                "gateway,processor,broker,postgres",
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
        assertThat(out.lines().filter(l -> l.matches("fault \\d+: .*(SIGKILL|SIGSTOP) .* recovered after \\d+ ms.*")))
                .as("every fault printed with its recovery")
                .hasSize(kills);
        for (String target : new String[] {"gateway-1", "processor-1", "broker-1"}) {
            assertThat(out).contains("SIGKILL " + target);
        }
        if (kills == 7) {
            // Seed 5's postgres faults: a backend killed (every lease session ends with PostgreSQL's
            // restart; the services stop on their lease, which is that fault's, and are restarted),
            // then a stall the services ride out.
            assertThat(out).containsPattern("fault 4: \\+[\\d.]+s SIGKILL postgres backend \\d+ \\(lease session of");
            assertThat(out).containsPattern("stopped on its lease \\(status 4\\) after fault 4");
            assertThat(out)
                    .containsPattern("fault 7: \\+[\\d.]+s SIGSTOP postgres \\(\\d+ processes\\) for 6499 ms; SIGCONT");
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
        // The refund mix ran through the faults and its checks had material (each count at 0 is also a
        // violation): accepted, some with a try in a kill window, refused over the remainder, duplicated.
        assertThat(out).containsPattern("refunds accepted \\(2xx\\): [1-9]\\d* \\(with a try in a kill window: [1-9]");
        assertThat(out).containsPattern("refunds refused over the remainder \\(422\\) as expected: [1-9]");
        assertThat(out)
                .containsPattern("refund concurrent duplicate groups \\(one key, 2\\+ copies accepted\\): [1-9]");
        out.lines()
                .filter(l -> l.startsWith("faults injected")
                        || l.startsWith("accepted")
                        || l.startsWith("unknown")
                        || l.startsWith("unanswered")
                        || l.startsWith("refund")
                        || l.startsWith("violations"))
                .forEach(l -> System.out.println("ChaosCommandIT figure: " + l));
    }
}
