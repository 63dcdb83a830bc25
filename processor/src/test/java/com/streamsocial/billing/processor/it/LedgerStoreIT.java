package com.streamsocial.billing.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.batch.LedgerAnswers;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.store.LedgerStore;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.stack.EmbeddedPg;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The record statement on a real PostgreSQL: what it returns is what is stored, including a payment
 * another instance decided first (its row as that instance left it, not this batch's answer), and
 * each success has one charge entry in the ledger.
 */
class LedgerStoreIT {
    private static EmbeddedPg pg;
    private static Vertx vertx;
    private static Pool pool;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPg.start(0);
        Migrations.migrate(pg.uri());
        vertx = Vertx.vertx();
        pool = PgBuilder.pool()
                .connectingTo(PgConnectOptions.fromUri(pg.uri()))
                .using(vertx)
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) {
            pool.close().await(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (pg != null) {
            pg.close();
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
                .record(LedgerAnswers.of(List.of(
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
