package com.streamsocial.billing.processor.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.store.LedgerStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The provider's answers in the ledger's terms: final ones are outcomes, a mismatch says so. */
class LedgerAnswersTest {
    @Test
    void finalAnswersAreOutcomesAndTheOthersStayOpenWithWhy() {
        assertThat(LedgerAnswers.of(List.of(
                        ChargeResult.succeeded("p1", "ch_1", "pi_1"),
                        ChargeResult.failed("p2", "card_declined", "pi_2"),
                        ChargeResult.pending("p3", "pi_3", "processing"),
                        ChargeResult.mismatch("p4", "pi_4", "provider succeeded 2501 usd"))))
                .containsExactly(
                        new LedgerStore.Outcome("p1", PaymentStatus.SUCCEEDED, "ch_1", null, "pi_1"),
                        new LedgerStore.Outcome("p2", PaymentStatus.FAILED, null, "card_declined", "pi_2"),
                        new LedgerStore.Open("p3", "pi_3", "processing"),
                        new LedgerStore.Open("p4", "pi_4", "mismatch: provider succeeded 2501 usd"));
    }
}
