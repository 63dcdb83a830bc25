package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.metrics.ServiceMetrics;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A fresh processor's meters scrape as 0 before any record, with every value of their tags (each
 * {@link DecodeError.Code} for the dead letters, each stage for failed batches), so that {@code rate()}
 * and {@code increase()} see the first event.
 */
class ProcessorMetersTest {
    @Test
    void everySeriesIsExportedAtZeroBeforeTheFirstRecord() {
        try (ServiceMetrics service = new ServiceMetrics()) {
            new ProcessorMeters(service);
            String scrape = service.scrape();
            for (DecodeError.Code c : DecodeError.Code.values()) {
                assertZero(scrape, "processor_dead_letters_total{code=\"" + c.wire() + "\"}");
            }
            for (ProcessorMeters.Stage s : ProcessorMeters.Stage.values()) {
                assertZero(scrape, "processor_batches_failed_total{stage=\"" + s.wire() + "\"}");
            }
            for (String series : new String[] {
                "processor_records_total",
                "processor_batches_committed_total",
                "processor_commits_unresolved_total",
                "processor_commit_timeouts_total",
                "processor_rebalances_total",
                "processor_transactions_hanging_aborted_total",
                "processor_transactions_hanging_redriven_total",
                "processor_outcomes_emitted_total",
                "processor_outcomes_reemitted_total",
                "processor_outcomes_already_committed_total",
                "processor_duplicates_total",
                "processor_conflicts_total",
                "processor_transaction_commit_seconds_count"
            }) {
                assertZero(scrape, series);
            }
            assertThat(scrape)
                    .containsPattern("(?m)^processor_transaction_commit_seconds_bucket\\{le=\"[^\"]+\"} 0(\\.0)?$");
        }
    }

    @Test
    void theStagesAreTheWireNamesTheDocsUse() {
        assertThat(ProcessorMeters.Stage.PROCESS.wire()).isEqualTo("process");
        assertThat(ProcessorMeters.Stage.TRANSACTION.wire()).isEqualTo("transaction");
        assertThat(ProcessorMeters.Stage.COMMIT.wire()).isEqualTo("commit");
    }

    /** The series is exported, with the value 0 (a counter's 0.0, a timer's count 0). */
    static void assertZero(String scrape, String series) {
        assertThat(scrape).containsPattern("(?m)^" + Pattern.quote(series) + " 0(\\.0)?$");
    }
}
