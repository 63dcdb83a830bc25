package com.streamsocial.billing.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.metrics.ServiceMetrics;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * A fresh gateway's meters scrape as 0 before any request, with every value of their tags, so that
 * {@code rate()} and {@code increase()} see the first event; and the abort causes the lanes report are
 * the ones registered at start.
 */
class GatewayMetersTest {
    @Test
    void everyTaggedSeriesIsExportedAtZeroBeforeTheFirstEvent() {
        try (ServiceMetrics service = new ServiceMetrics()) {
            new GatewayMeters(service, 500);
            String scrape = service.scrape();
            for (String cause : GatewayMeters.ABORT_CAUSES) {
                for (TransactionalPublisher.Outcome o : TransactionalPublisher.Outcome.values()) {
                    assertZero(
                            scrape,
                            "gateway_transactions_aborted_total{cause=\"" + cause + "\",outcome=\""
                                    + o.name().toLowerCase(Locale.ROOT) + "\"}");
                }
            }
            for (String series : new String[] {
                "gateway_payments_conflicts_total{kind=\"in_flight\"}",
                "gateway_payments_conflicts_total{kind=\"key_reused\"}",
                "gateway_payments_conflicts_total{kind=\"owned_elsewhere\"}",
                "gateway_payments_not_owned_total",
                "gateway_auth_refused_total{reason=\"missing\"}",
                "gateway_auth_refused_total{reason=\"invalid\"}",
                "gateway_batch_stage_seconds_count{stage=\"reserve\"}",
                "gateway_batch_stage_seconds_count{stage=\"mark_accepted\"}",
                "gateway_requests_shed_total{reason=\"draining\",status=\"503\"}",
                "gateway_requests_shed_total{reason=\"lease_suspect\",status=\"503\"}",
                "gateway_requests_shed_total{reason=\"auth_throttled\",status=\"429\"}",
                "gateway_unknown_commit_reservations_accepted_total",
                "gateway_unknown_commit_reservations_released_total",
                "gateway_unknown_commit_settlements_skipped_total",
                "gateway_unknown_commit_settlements_failed_total",
                "gateway_restart_reservations_accepted_total",
                "gateway_restart_reservations_released_total",
            }) {
                assertZero(scrape, series);
            }
            assertThat(scrape)
                    .containsPattern("(?m)^gateway_transaction_commit_seconds_bucket\\{le=\"[^\"]+\"} 0(\\.0)?$");
        }
    }

    /** The series is exported, with the value 0 (a counter's 0.0, a timer's count 0). */
    private static void assertZero(String scrape, String series) {
        assertThat(scrape).containsPattern("(?m)^" + java.util.regex.Pattern.quote(series) + " 0(\\.0)?$");
    }

    @Test
    void everyAbortCauseALaneReportsIsOneRegisteredAtStart() {
        Throwable[] causes = {
            new TimeoutException("commit timed out"),
            new ExecutionException(new TimeoutException("wrapped")),
            new ProducerFencedException("fenced"),
            new TopicAuthorizationException("denied"),
            new KafkaException("anything else")
        };
        for (Throwable t : causes) {
            assertThat(GatewayMeters.ABORT_CAUSES).as(t.toString()).contains(CommitLane.abortCause(t));
        }
        assertThat(CommitLane.abortCause(new ProducerFencedException("f"))).isEqualTo("fenced");
        assertThat(CommitLane.abortCause(new TopicAuthorizationException("a"))).isEqualTo("fatal");
        assertThat(CommitLane.abortCause(new KafkaException("k"))).isEqualTo("error");
        assertThat(CommitLane.abortCause(new TimeoutException("t"))).isEqualTo("timeout");
    }
}
