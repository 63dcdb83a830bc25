package com.streamsocial.billing.processor.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.kafka.HangingTransactions.Coordinator;
import com.streamsocial.billing.processor.kafka.HangingTransactions.CoordinatorState;
import com.streamsocial.billing.processor.kafka.HangingTransactions.OpenTransaction;
import com.streamsocial.billing.processor.kafka.HangingTransactions.Verdict;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HangingTransactionsTest {
    private static final long AFTER_MS = 120_000;
    private static final long NOW = 1_000_000;
    private static final String OURS = "processor-";
    // As found after a chaos run: open on metrics-0 with epoch 5, the coordinator Empty at epoch 6.
    private static final OpenTransaction OPEN =
            new OpenTransaction("payments.metrics", 0, 1002, 5, 294, NOW - AFTER_MS);

    private static Coordinator coordinator(String id, CoordinatorState state, long pid, int epoch, String... parts) {
        return new Coordinator(id, state, pid, epoch, Set.of(parts));
    }

    @Test
    void aProcessorsTransactionItsCoordinatorNoLongerHasIsHanging() {
        Coordinator c = coordinator("processor-processor-1", CoordinatorState.IDLE, 1002, 6);
        assertThat(HangingTransactions.judge(OPEN, c, OURS, NOW, AFTER_MS)).isEqualTo(Verdict.HANGING);
    }

    @Test
    void writtenToWithinTheLimitIsLeftToTheCoordinator() {
        // The coordinator still at the epoch the transaction wrote with: only the time limit decides.
        Coordinator c = coordinator("processor-processor-1", CoordinatorState.IDLE, 1002, 5);
        assertThat(HangingTransactions.judge(OPEN, c, OURS, NOW - 1, AFTER_MS)).isEqualTo(Verdict.RECENT);
        assertThat(HangingTransactions.judge(OPEN, c, OURS, NOW, AFTER_MS)).isEqualTo(Verdict.HANGING);
    }

    @Test
    void aCoordinatorThatMovedOnToALaterEpochMakesItHangingOnceSettled() {
        // As HangingTransactionIT's fixture: open at epoch 5, the coordinator idle at epoch 10.
        Coordinator c = coordinator("processor-processor-1", CoordinatorState.IDLE, 1002, 10);
        long settled = OPEN.lastWriteMs() + HangingTransactions.MOVED_ON_SETTLED_MS;
        assertThat(HangingTransactions.judge(OPEN, c, OURS, settled - 1, AFTER_MS))
                .isEqualTo(Verdict.RECENT);
        assertThat(HangingTransactions.judge(OPEN, c, OURS, settled, AFTER_MS)).isEqualTo(Verdict.HANGING);
        // Not moved on: another producer id, or still in progress at that epoch's successor.
        assertThat(HangingTransactions.judge(
                        OPEN,
                        coordinator("processor-processor-1", CoordinatorState.IDLE, 1003, 10),
                        OURS,
                        settled,
                        AFTER_MS))
                .isEqualTo(Verdict.RECENT);
        assertThat(HangingTransactions.judge(
                        OPEN,
                        coordinator("processor-processor-1", CoordinatorState.PREPARING, 1002, 6, "payments.metrics-0"),
                        OURS,
                        settled,
                        AFTER_MS))
                .isEqualTo(Verdict.RECENT);
        // Moved on, but someone else's: reported, never aborted.
        assertThat(HangingTransactions.judge(
                        OPEN, coordinator("gateway-lane-0", CoordinatorState.IDLE, 1002, 10), OURS, settled, AFTER_MS))
                .isEqualTo(Verdict.NOT_OURS);
    }

    @Test
    void inProgressAtTheCoordinatorWhenSameProducerEpochAndPartition() {
        assertThat(HangingTransactions.judge(
                        OPEN,
                        coordinator("processor-processor-1", CoordinatorState.ONGOING, 1002, 5, "payments.metrics-0"),
                        OURS,
                        NOW,
                        AFTER_MS))
                .isEqualTo(Verdict.IN_PROGRESS);
        // Transaction version 2 writes the markers with the next epoch.
        assertThat(HangingTransactions.judge(
                        OPEN,
                        coordinator("processor-processor-1", CoordinatorState.PREPARING, 1002, 6, "payments.metrics-0"),
                        OURS,
                        NOW,
                        AFTER_MS))
                .isEqualTo(Verdict.IN_PROGRESS);
    }

    @Test
    void anOngoingTransactionThatIsNotThisOneDoesNotProtectIt() {
        // Another partition, another producer, another epoch, or no longer in progress.
        for (Coordinator c : new Coordinator[] {
            coordinator("processor-processor-1", CoordinatorState.ONGOING, 1002, 5, "payments.metrics-1"),
            coordinator("processor-processor-1", CoordinatorState.ONGOING, 1003, 5, "payments.metrics-0"),
            coordinator("processor-processor-1", CoordinatorState.ONGOING, 1002, 7, "payments.metrics-0"),
            coordinator("processor-processor-1", CoordinatorState.ONGOING, 1002, 4, "payments.metrics-0"),
            // Complete: the coordinator still lists the partitions it sent markers to.
            coordinator("processor-processor-1", CoordinatorState.IDLE, 1002, 5, "payments.metrics-0")
        }) {
            assertThat(HangingTransactions.judge(OPEN, c, OURS, NOW, AFTER_MS))
                    .as(c.toString())
                    .isEqualTo(Verdict.HANGING);
        }
    }

    @Test
    void someoneElsesOrAnUnownedTransactionIsOnlyReported() {
        Coordinator gateway = coordinator("gateway-1-lane-0", CoordinatorState.IDLE, 1002, 6);
        assertThat(HangingTransactions.judge(OPEN, gateway, OURS, NOW, AFTER_MS))
                .isEqualTo(Verdict.NOT_OURS);
        assertThat(HangingTransactions.judge(OPEN, null, OURS, NOW, AFTER_MS)).isEqualTo(Verdict.NOT_OURS);
    }
}
