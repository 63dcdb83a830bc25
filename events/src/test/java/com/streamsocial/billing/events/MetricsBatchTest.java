package com.streamsocial.billing.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsBatchTest {

    @Test
    void aBatchIsOneRecordWithTotalsByTypeTenantAndCurrencyAndEveryId() {
        List<MetricsBatch> records = new MetricsBatch.Builder(1_000L)
                .add(MetricsBatch.SUCCEEDED, "p1", "t1", 100, "USD")
                .add(MetricsBatch.SUCCEEDED, "p2", "t1", 250, "USD")
                .add(MetricsBatch.FAILED, "p3", "t1", 7, "USD")
                .add(MetricsBatch.SUCCEEDED, "p4", "t2", 5, "EUR")
                .build();

        assertThat(records).hasSize(1);
        MetricsBatch m = MetricsBatch.parse(records.get(0).toBytes());
        assertThat(m).isEqualTo(records.get(0));
        assertThat(m.atMs()).isEqualTo(1_000L);
        assertThat(m.key()).isEqualTo("p1");
        assertThat(m.totals())
                .containsExactly(
                        new MetricsBatch.Total(MetricsBatch.SUCCEEDED, "t1", "USD", 2, 350),
                        new MetricsBatch.Total(MetricsBatch.FAILED, "t1", "USD", 1, 7),
                        new MetricsBatch.Total(MetricsBatch.SUCCEEDED, "t2", "EUR", 1, 5));
        assertThat(m.ids(MetricsBatch.SUCCEEDED)).containsExactly("p1", "p2", "p4");
        assertThat(m.ids(MetricsBatch.FAILED)).containsExactly("p3");
        assertThat(m.ids(MetricsBatch.ACCEPTED)).isEmpty();
        assertThat(m.allIds()).containsExactlyInAnyOrder("p1", "p2", "p3", "p4");
    }

    @Test
    void aLargeBatchIsSplitIntoRecordsOfAtMostPaymentsMaxEachIdOnce() {
        MetricsBatch.Builder b = new MetricsBatch.Builder(5L);
        int n = MetricsBatch.PAYMENTS_MAX * 2 + 3;
        for (int i = 0; i < n; i++) {
            b.add(MetricsBatch.ACCEPTED, "p" + i, "t", 1, "USD");
        }
        List<MetricsBatch> records = b.build();

        assertThat(records)
                .extracting(r -> r.ids(MetricsBatch.ACCEPTED).size())
                .containsExactly(MetricsBatch.PAYMENTS_MAX, MetricsBatch.PAYMENTS_MAX, 3);
        assertThat(records)
                .extracting(r -> r.totals().get(0).count())
                .containsExactly((long) MetricsBatch.PAYMENTS_MAX, (long) MetricsBatch.PAYMENTS_MAX, 3L);
        assertThat(records)
                .extracting(MetricsBatch::key)
                .containsExactly("p0", "p" + MetricsBatch.PAYMENTS_MAX, "p" + 2 * MetricsBatch.PAYMENTS_MAX);
        List<String> all =
                MetricsBatch.allIds(records.stream().map(MetricsBatch::toBytes).toList());
        assertThat(all).hasSize(n).doesNotHaveDuplicates();
        assertThat(records.get(1).toBytes().length).isLessThan(128 * 1024);
    }

    @Test
    void aBatchWithoutEventsWritesNoRecord() {
        assertThat(new MetricsBatch.Builder(1L).build()).isEmpty();
    }

    @Test
    void anotherRecordTypeIsRefused() {
        byte[] old = "{\"type\":\"payment.accepted\",\"payment_id\":\"p\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> MetricsBatch.parse(old)).isInstanceOf(EventFormatException.class);
    }
}
