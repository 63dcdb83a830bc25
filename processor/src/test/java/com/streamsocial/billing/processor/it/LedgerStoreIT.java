package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.batch.BatchOrchestrator;
import com.streamsocial.billing.processor.batch.LedgerAnswers;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.psp.PaymentProvider;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.store.LedgerStore;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger's statements on a real PostgreSQL. Planning a batch of new payments writes nothing; the
 * record statement writes each new payment once, with its answer, and what it returns is what is
 * stored, including a payment another instance decided first (its row as that instance left it, not
 * this batch's answer); each success has one charge entry in the ledger.
 */
class LedgerStoreIT {
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
    void aBatchReturnsItsOwnDecisionsAndThePaymentsDecidedFirstElsewhereAsStored() throws Exception {
        insert("pay_ls_a", "charging", null);
        insert("pay_ls_b", "charging", null);
        // Decided first by another instance, with its own provider reference and ledger entry.
        insert("pay_ls_c", "succeeded", "ch_first");
        sql(
                "INSERT INTO ledger_entries (payment_id, kind, amount, currency) VALUES ('pay_ls_c', 'charge', 500, 'USD')");

        List<StoredPayment> stored = new LedgerStore(pool)
                .record(
                        List.of(record("pay_ls_a", 0), record("pay_ls_b", 0), record("pay_ls_c", 0)),
                        LedgerAnswers.of(List.of(
                                ChargeResult.succeeded("pay_ls_a", "ch_a", "pi_a"),
                                ChargeResult.failed("pay_ls_b", "card_declined", "pi_b"),
                                ChargeResult.succeeded("pay_ls_c", "ch_second", "pi_c"))))
                .await(30, TimeUnit.SECONDS);

        Map<String, StoredPayment> byId =
                stored.stream().collect(Collectors.toMap(StoredPayment::paymentId, Function.identity()));
        assertThat(byId).containsOnlyKeys("pay_ls_a", "pay_ls_b", "pay_ls_c");
        assertThat(byId.get("pay_ls_a").status()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(byId.get("pay_ls_a").providerRef()).isEqualTo("ch_a");
        assertThat(byId.get("pay_ls_b").status()).isEqualTo(PaymentStatus.FAILED);
        assertThat(byId.get("pay_ls_b").failureCode()).isEqualTo("card_declined");
        assertThat(byId.get("pay_ls_c").status()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(byId.get("pay_ls_c").providerRef())
                .as("the stored decision, not this batch's")
                .isEqualTo("ch_first");
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = 'pay_ls_a'"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = 'pay_ls_b'"))
                .isZero();
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = 'pay_ls_c'"))
                .isEqualTo(1);
    }

    @Test
    void newPaymentsAreWrittenOnlyWithTheirAnswerInOneRowVersion() throws Exception {
        LedgerStore ledger = new LedgerStore(pool);
        List<InputRecord> batch =
                List.of(record("pay_ls_new_a", 7), record("pay_ls_new_b", 8), record("pay_ls_new_c", 9));
        List<String> ids = List.of("pay_ls_new_a", "pay_ls_new_b", "pay_ls_new_c");
        assertThat(ledger.stored(ids).await(30, TimeUnit.SECONDS)).isEmpty();
        assertThat(ledger.markReplays(List.of(), List.of()).await(30, TimeUnit.SECONDS))
                .isEmpty();
        assertThat(count("SELECT count(*) FROM payments WHERE payment_id LIKE 'pay_ls_new_%'"))
                .as("planning wrote no row")
                .isZero();

        List<StoredPayment> stored = ledger.record(
                        batch,
                        LedgerAnswers.of(List.of(
                                ChargeResult.succeeded("pay_ls_new_a", "ch_na", "pi_na"),
                                ChargeResult.failed("pay_ls_new_b", "card_declined", "pi_nb"),
                                ChargeResult.pending("pay_ls_new_c", "pi_nc", "processing"))))
                .await(30, TimeUnit.SECONDS);

        assertThat(stored)
                .extracting(StoredPayment::paymentId)
                .containsExactlyInAnyOrder("pay_ls_new_a", "pay_ls_new_b");
        assertThat(stored)
                .as("each claimed by the record processed")
                .allMatch(p -> p.claimedBy(batch.get(p.paymentId().endsWith("a") ? 0 : 1)));
        assertThat(rowOf("pay_ls_new_a")).isEqualTo("succeeded ch_na 1 decided pi_na -");
        assertThat(rowOf("pay_ls_new_b")).isEqualTo("failed card_declined 1 decided pi_nb -");
        assertThat(rowOf("pay_ls_new_c")).isEqualTo("charging - 1 undecided pi_nc processing");
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND payment_id = 'pay_ls_new_a'"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE payment_id IN ('pay_ls_new_b', 'pay_ls_new_c')"))
                .isZero();

        // The pending one, read again: a replay to ask about, and decided by its next answer.
        assertThat(ledger.stored(List.of("pay_ls_new_c")).await(30, TimeUnit.SECONDS))
                .extractingByKey("pay_ls_new_c")
                .matches(p -> p.claimedBy(batch.get(2)) && !p.status().isFinal());
        assertThat(ledger.markReplays(List.of("pay_ls_new_c"), List.of()).await(30, TimeUnit.SECONDS))
                .containsExactlyEntriesOf(Map.of("pay_ls_new_c", "pi_nc"));
        List<StoredPayment> decided = ledger.record(
                        List.of(batch.get(2)),
                        LedgerAnswers.of(List.of(ChargeResult.succeeded("pay_ls_new_c", "ch_nc", "pi_nc"))))
                .await(30, TimeUnit.SECONDS);
        assertThat(decided).extracting(StoredPayment::status).containsExactly(PaymentStatus.SUCCEEDED);
        assertThat(rowOf("pay_ls_new_c")).isEqualTo("succeeded ch_nc 2 decided pi_nc -");
    }

    /**
     * Two instances on one partition, and a second record of the payment: while this batch charges a
     * new payment, the other record's instance writes its row. This batch must not emit that row's
     * outcome as its own: it fails, and its re-read finds a duplicate, with no outcome.
     */
    @Test
    void aNewPaymentWrittenByAnotherRecordWhileChargedFailsTheBatchAndIsThenADuplicate() throws Exception {
        InputRecord mine = record("pay_ls_race", 20);
        PaymentProvider provider = new PaymentProvider() {
            @Override
            public io.vertx.core.Future<List<ChargeResult>> charge(List<Charge> charges) {
                return pool.query("""
                                INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount,
                                  currency, customer_id, payment_method, status, provider_ref, source_partition,
                                  source_offset, accepted_at, decided_at)
                                VALUES ('default', 'pay_ls_race', 'pay_ls_race', 'h', 500, 'USD', 'cus_1',
                                  'pm_card_visa', 'succeeded', 'ch_other', 0, 21, now(), now())""")
                        .execute()
                        .map(v -> charges.stream()
                                .map(c -> ChargeResult.succeeded(c.paymentId(), "ch_other", null))
                                .toList());
            }

            @Override
            public io.vertx.core.Future<List<ChargeResult>> prepare(List<Charge> charges) {
                return io.vertx.core.Future.succeededFuture(List.of());
            }
        };
        try (ServiceMetrics service = new ServiceMetrics()) {
            BatchOrchestrator orchestrator = new BatchOrchestrator(
                    new LedgerStore(pool),
                    provider,
                    stored -> io.vertx.core.Future.succeededFuture(Set.of()),
                    new ProcessorMeters(service));
            io.vertx.core.Future<List<ProducerRecord<String, byte[]>>> first = orchestrator.process(List.of(mine));
            assertThat(first.toCompletionStage()
                            .toCompletableFuture()
                            .handle((v, e) -> e)
                            .get(30, TimeUnit.SECONDS))
                    .as("the batch fails rather than emit the other record's outcome")
                    .isNotNull()
                    .hasMessageContaining("recorded by another record");
            List<ProducerRecord<String, byte[]>> again =
                    orchestrator.process(List.of(mine)).await(30, TimeUnit.SECONDS);
            assertThat(again).as("read again: a duplicate, no outcome").isEmpty();
        }
    }

    /** A billing record of payment {@code id} (tenant default, key = id) at partition 0, {@code offset}. */
    private static InputRecord record(String id, long offset) {
        return InputRecord.of(
                0,
                offset,
                new PaymentEvent(
                        id, "default", id, "h", 500, "USD", "cus_1", "pm_card_visa", "", Map.of(), 1_700_000_000_000L),
                false);
    }

    /** Status, reference or code, attempts, decided or not, intent, why. */
    private static String rowOf(String id) throws Exception {
        Row row = pool.preparedQuery("""
                        SELECT status, coalesce(provider_ref, failure_code, '-'), attempts,
                               CASE WHEN decided_at IS NULL THEN 'undecided' ELSE 'decided' END,
                               coalesce(provider_intent, '-'), coalesce(provider_status, '-')
                        FROM payments WHERE payment_id = $1""")
                .execute(io.vertx.sqlclient.Tuple.of(id))
                .await(30, TimeUnit.SECONDS)
                .iterator()
                .next();
        return row.getString(0) + " " + row.getString(1) + " " + row.getInteger(2) + " " + row.getString(3) + " "
                + row.getString(4) + " " + row.getString(5);
    }

    private static void insert(String id, String status, String providerRef) throws Exception {
        pool.preparedQuery("""
                        INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency,
                          customer_id, payment_method, status, provider_ref, source_partition, source_offset,
                          accepted_at, decided_at)
                        VALUES ('default', $1, $1, 'h', 500, 'USD', 'cus_1', 'pm_card_visa', $2, $3, 0, 0, now(),
                          CASE WHEN $2 = 'succeeded' THEN now() END)""")
                .execute(io.vertx.sqlclient.Tuple.of(id, status, providerRef))
                .await(30, TimeUnit.SECONDS);
    }

    private static void sql(String statement) throws Exception {
        pool.query(statement).execute().await(30, TimeUnit.SECONDS);
    }

    private static long count(String query) throws Exception {
        Row row = pool.query(query)
                .execute()
                .await(30, TimeUnit.SECONDS)
                .iterator()
                .next();
        return row.getLong(0);
    }
}
