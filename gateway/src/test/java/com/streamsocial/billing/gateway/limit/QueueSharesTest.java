package com.streamsocial.billing.gateway.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QueueSharesTest {
    private static final int QUEUE_RECORDS_MAX = 5_000;
    private static final int BATCH_RECORDS_MAX = 500;

    @Test
    void aTenantAloneGetsHalfTheQueueAndTheNextOneFindsRoom() {
        QueueShares shares = new QueueShares(QUEUE_RECORDS_MAX, BATCH_RECORDS_MAX);
        int flood = 0;
        while (shares.tryEnter("flood")) {
            flood++;
        }
        assertThat(flood).isEqualTo(QUEUE_RECORDS_MAX / 2);
        // The quiet tenant's share (a third, two tenants queueing) is free in the queue.
        int quiet = 0;
        while (shares.tryEnter("quiet")) {
            quiet++;
        }
        assertThat(quiet).isEqualTo(QUEUE_RECORDS_MAX / 3);
        assertThat(flood + quiet).isLessThan(QUEUE_RECORDS_MAX);
        // The flood is now over its share of a third until it drains below it.
        assertThat(shares.tryEnter("flood")).isFalse();
        for (int i = 0; i <= flood - QUEUE_RECORDS_MAX / 3; i++) {
            shares.left("flood");
        }
        assertThat(shares.tryEnter("flood")).isTrue();
    }

    @Test
    void theShareNeverFallsBelowOneBatch() {
        QueueShares shares = new QueueShares(QUEUE_RECORDS_MAX, BATCH_RECORDS_MAX);
        for (int t = 0; t < 50; t++) {
            shares.tryEnter("t" + t);
        }
        assertThat(shares.shareRecords("t0")).isEqualTo(BATCH_RECORDS_MAX);
        // A floor above the queue is the queue, and then shares restrict nothing: the queue's own bound
        // answers (GatewayIT's queue of two still sheds with 503 queue_full).
        QueueShares tiny = new QueueShares(2, 500);
        assertThat(tiny.shareRecords("a")).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            assertThat(tiny.tryEnter("a")).isTrue();
        }
    }

    /**
     * Property, seeded random walks: whatever the tenants do, tenants within their shares leave room
     * in the queue for one more tenant, as long as the share is above its floor, and the counts match
     * what entered and left.
     */
    @Test
    void tenantsWithinTheirSharesNeverFillTheQueue() {
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            int queueMax = 64 + random.nextInt(5_000);
            int floor = 1 + random.nextInt(8);
            int tenants = 1 + random.nextInt(6);
            QueueShares shares = new QueueShares(queueMax, floor);
            Deque<String> queue = new ArrayDeque<>();
            for (int step = 0; step < 20_000; step++) {
                if (random.nextInt(100) < 70) {
                    String tenant = "t" + random.nextInt(tenants);
                    if (shares.tryEnter(tenant)) {
                        queue.addLast(tenant);
                    }
                } else if (!queue.isEmpty()) {
                    shares.left(queue.pollFirst());
                }
                assertThat(queue.size())
                        .as("seed %d step %d", seed, step)
                        .isLessThanOrEqualTo(Math.max(queueMax * tenants / (tenants + 1), floor * tenants));
                assertThat(shares.tenantsQueueing())
                        .isEqualTo((int) queue.stream().distinct().count());
            }
            while (!queue.isEmpty()) {
                shares.left(queue.pollFirst());
            }
            assertThat(shares.tenantsQueueing()).isZero();
        }
    }

    @Test
    void leavingWithNothingCountedIsABug() {
        assertThatThrownBy(() -> new QueueShares(10, 1).left("a")).isInstanceOf(IllegalStateException.class);
    }
}
