package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.psp.RefundProvider;
import com.streamsocial.billing.processor.refund.RefundInput;
import com.streamsocial.billing.processor.refund.RefundLedger;
import com.streamsocial.billing.processor.refund.RefundOrchestrator;
import com.streamsocial.billing.refund.RefundEvent;
import com.streamsocial.billing.refund.RefundIds;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A refund the provider made and left pending, on a real PostgreSQL: its batch commits with no
 * outcome and no ledger entry, the refund stays {@code refunding} with the provider's refund id and
 * status, and its record read again never posts it a second time (which, once the provider's
 * idempotency key expired, could make a second refund). Before, a pending answer failed the batch,
 * and every read of it failed again: its partition, and the billing records polled with it, stalled.
 */
class PendingRefundIT {
    private static PgFixture db;
    private static Pool pool;

    @BeforeAll
    static void start() throws Exception {
        db = PgFixture.start();
        pool = db.pool;
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aPendingRefundCommitsWithoutAnOutcomeAndIsNeverPostedAgain() throws Exception {
        String paymentId = PaymentIds.paymentId("default", "pending-refund");
        pool.preparedQuery("""
                        INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                          customer_id, payment_method, status, provider_ref, source_partition, source_offset,
                          accepted_at, decided_at)
                        VALUES ('default', 'pending-refund', $1, 'h', 1000, 'USD', 'cus_1', 'pm_card_visa',
                          'succeeded', 'ch_1', 0, 0, now(), now())""").execute(Tuple.of(paymentId)).await(30, TimeUnit.SECONDS);
        String refundId = RefundIds.refundId("default", "r-pending");
        RefundEvent event = new RefundEvent(
                refundId, paymentId, "default", "r-pending", "rh", 400, "USD", Optional.empty(), 1_700_000_000_000L);
        RefundInput record = RefundInput.decode(0, 5, paymentId.getBytes(StandardCharsets.UTF_8), event.toBytes());
        assertThat(record.event()).as("the record decodes").isNotNull();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger lookups = new AtomicInteger();
        RefundProvider pendingAtProvider = new RefundProvider() {
            @Override
            public Future<List<RefundResult>> refund(List<RefundCall> batch) {
                calls.addAndGet(batch.size());
                return Future.succeededFuture(batch.stream()
                        .map(c -> RefundResult.pending(c.refundId(), "re_at_provider", "pending"))
                        .toList());
            }

            @Override
            public Future<List<RefundResult>> lookup(List<RefundLookup> batch) {
                lookups.addAndGet(batch.size());
                batch.forEach(l -> assertThat(l.providerRef()).isEqualTo("re_at_provider"));
                return Future.succeededFuture(batch.stream()
                        .map(l -> RefundResult.pending(l.refundId(), l.providerRef(), "pending"))
                        .toList());
            }
        };
        RefundOrchestrator orchestrator = new RefundOrchestrator(
                new RefundLedger(pool), pendingAtProvider, com.streamsocial.billing.tracing.Tracing.off());

        assertThat(orchestrator.process(List.of(record)).await(30, TimeUnit.SECONDS))
                .as("the batch commits, with no outcome")
                .isEmpty();
        assertThat(calls).hasValue(1);
        assertThat(text("SELECT status || ' ' || provider_ref || ' ' || provider_status"
                        + " || ' ' || (decided_at IS NULL) FROM refunds WHERE refund_id = '" + refundId + "'"))
                .isEqualTo("refunding re_at_provider pending true");
        assertThat(text("SELECT count(*)::text FROM ledger_entries WHERE refund_id = '" + refundId + "'"))
                .isEqualTo("0");

        // Read again (a crash before the offsets committed, or a re-drive): not posted a second time,
        // looked up by the provider's refund id, still pending there.
        assertThat(orchestrator.process(List.of(record)).await(30, TimeUnit.SECONDS))
                .isEmpty();
        assertThat(calls).as("posted once only").hasValue(1);
        assertThat(lookups).as("looked up by its provider id instead").hasValue(1);
        assertThat(text("SELECT status FROM refunds WHERE refund_id = '" + refundId + "'"))
                .isEqualTo("refunding");
    }

    private static String text(String query) throws Exception {
        return pool.query(query)
                .execute()
                .await(30, TimeUnit.SECONDS)
                .iterator()
                .next()
                .getString(0);
    }
}
