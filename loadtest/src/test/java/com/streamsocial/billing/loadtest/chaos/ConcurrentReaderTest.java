package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A checker that cannot check says so: its failure is recorded for the run to fail on, not swallowed. */
class ConcurrentReaderTest {
    @Test
    void aReaderAndAPollerThatCannotEvenStartRecordTheirFailures() throws Exception {
        // Not a host:port: the consumer and the admin client refuse it at creation (a RuntimeException).
        ConcurrentReader r = new ConcurrentReader("not-a-bootstrap-address", ChaosCommand.GROUP_ID);
        r.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (r.failures().size() < 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        r.close();
        assertThat(r.failures())
                .anySatisfy(f -> assertThat(f).startsWith("reader: "))
                .anySatisfy(f -> assertThat(f).startsWith("group-offset poller: "));
        assertThat(ChaosChecks.coverage(100, 100, 100, 1, r.failures()))
                .extracting(Violation::rule)
                .containsOnly("checker-failed");
    }
}
