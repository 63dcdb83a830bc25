package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The zombie case through {@code loadtest.jar chaos --zombies 1}: with two processors under load, one
 * is paused with SIGSTOP until the group has moved its partitions to the other (session timeout),
 * then resumed with SIGCONT. Whatever it still held is fenced: no duplicate outcome, no double charge,
 * every accepted payment once; exit 0.
 */
class ProcessorZombieIT {
    @Test
    void aProcessorPausedUntilItsPartitionsMoveIsFencedWhenItResumes() throws Exception {
        JarProcess p = JarProcess.start(
                "loadtest",
                Map.of(),
                "chaos",
                "--kills",
                "0",
                "--zombies",
                "1",
                "--processors",
                "2",
                "--interval-ms",
                "3000,3000",
                "--rate",
                "50");
        Integer exit = p.awaitExit(15 * 60_000);
        String out = p.stdout();
        System.out.println(out);
        assertThat(exit).as(p.output()).isEqualTo(0);
        assertThat(out).contains("zombie 1: ").contains("SIGSTOP processor-1").contains("SIGCONT processor-1");
        assertThat(out).containsPattern("partitions moved \\d+ ms after SIGSTOP");
        assertThat(out).contains("violations: 0");
        assertThat(out).containsPattern("accepted \\(202\\): [1-9]\\d*, complete \\(recorded, charged, one outcome\\): [1-9]");
    }
}
