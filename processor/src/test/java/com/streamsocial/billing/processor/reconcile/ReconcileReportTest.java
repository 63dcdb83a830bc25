package com.streamsocial.billing.processor.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReconcileReportTest {

    @Test
    void aForeignChargeIsReportedButNotCountedAndLaggingIsCountedWithWhatItWouldBe() {
        ReconcileReport r = new ReconcileReport();
        r.add(BreakClass.FOREIGN_CHARGE, "ch_theirs", 10);
        assertThat(r.total()).as("only a foreign charge: no break of ours").isZero();
        assertThat(r.count(BreakClass.FOREIGN_CHARGE)).isEqualTo(1);

        r.add(BreakClass.LAGGING, "pay_1", 10);
        r.lagging("missing_in_ledger");
        r.add(BreakClass.LAGGING, "pay_2", 10);
        r.lagging("stuck");
        r.add(BreakClass.ORPHAN_CHARGE, "ch_ours", 10);
        assertThat(r.total()).isEqualTo(3);

        JsonObject breaks = r.toJson(0, 1, false).getJsonObject("breaks");
        assertThat(breaks.getJsonObject("foreign_charge").getBoolean("counted")).isFalse();
        assertThat(breaks.getJsonObject("lagging").getBoolean("counted")).isTrue();
        assertThat(breaks.getJsonObject("lagging").getJsonObject("would_be").getMap())
                .isEqualTo(Map.of("missing_in_ledger", 1L, "stuck", 1L));
        assertThat(r.toJson(0, 1, false).getLong("total_breaks")).isEqualTo(3);
        assertThat(r.table()).contains("foreign_charge (info)").contains("lagging (not repaired)");
    }
}
