package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The metric names {@link PromqlNames} finds in the shapes of expression the dashboard and the rules use. */
class PromqlNamesTest {
    @Test
    void aHistogramQuantileOverAGrafanaRateGivesTheBucketSeriesOnly() {
        assertThat(PromqlNames.of("histogram_quantile(0.99, sum by (le, route) (rate("
                        + "vertx_http_server_response_time_seconds_bucket{job=~\"$gateway_job\"}[$__rate_interval])))"))
                .containsExactly("vertx_http_server_response_time_seconds_bucket");
    }

    @Test
    void bothSidesOfABinaryOperatorAndOfUnlessOffset() {
        assertThat(PromqlNames.of("sum by (route, code) (rate(a_total{code=~\"5..\"}[5m])) > 0\n"
                        + "  or sum by (route, code) (a_total unless b_total{x=\"}\"} offset 5m)"))
                .containsExactly("a_total", "b_total");
        assertThat(
                        PromqlNames.of(
                                "sum by (reason, status) (rate(shed_total[5m]))\n"
                                        + "  / ignoring(reason, status) group_left sum(rate(requests_total{route=~\"/v1/.*\"}[5m])) > 0.01"))
                .containsExactly("shed_total", "requests_total");
        assertThat(PromqlNames.of("x_sum / y_count and on (instance) z == 1e3"))
                .containsExactly("x_sum", "y_count", "z");
    }

    @Test
    void functionsAggregationsKeywordsLabelNamesAndCommentsAreNotNames() {
        assertThat(PromqlNames.of("# lag per partition (comment: not_a_metric)\n"
                        + "max by (partition) (changes(lag{topic=\"payments.billing\"}[15m])) == bool 0"))
                .containsExactly("lag");
        assertThat(PromqlNames.of("absent(last_run_seconds{job=\"billing-processor\"})"))
                .containsExactly("last_run_seconds");
        assertThat(PromqlNames.of("count without (instance) (up)")).containsExactly("up");
        assertThat(PromqlNames.of("sum(rate(x[5m:1m]))")).containsExactly("x");
    }

    @Test
    void anUnbalancedExpressionIsRefused() {
        assertThatThrownBy(() -> PromqlNames.of("sum(rate(x{job=\"a\"[5m]))"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PromqlNames.of("x{job=\"a}")).isInstanceOf(IllegalArgumentException.class);
    }
}
