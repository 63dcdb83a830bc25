package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.gateway.store.IntentStore;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The gateway's accepted mark per lane (V11__lane_commits.sql): a committed payment's reservation
 * keeps the row it was inserted as, a range of its lane's committed batches makes it accepted, and
 * so another instance that never saw it committed replays it, even once it is old enough to look
 * abandoned, and never takes it over nor publishes it again.
 */
class LaneCommitsIT {
    @Test
    void aCommittedPaymentIsAcceptedByItsLanesRangeAndNeverTakenOver() throws Exception {
        LocalInfra infra = SharedInfra.get();
        String apiKey = TenantKeys.create(infra.pgUri(), "default");
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        Migrations.apply(vertx, infra.pgUri()).await();
        String suffix = Long.toString(System.nanoTime(), 36);
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        PaymentRequest p = PaymentRequest.of(
                "default", "lane-commits-" + suffix, 4200, "EUR", "cus_l", "pm_card_visa", "lane", Map.of());
        int portA = FreePorts.pick();
        Gateway a = InProcessGateways.deploy(vertx, infra, "lane-a-" + suffix, portA, 1);
        Gateway b = null;
        try {
            HttpResponse<String> first = InProcessGateways.post("http://127.0.0.1:" + portA, apiKey, p);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
            assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
            // The lane writes its range on its next statement, or on its own when idle.
            long deadline = System.currentTimeMillis() + 30_000;
            while (!"accepted".equals(effectiveState(pool, p)) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertThat(effectiveState(pool, p)).isEqualTo("accepted");
            Row row = pool.preparedQuery("SELECT state, owner_batch FROM payment_intents WHERE payment_id = $1")
                    .execute(Tuple.of(p.paymentId()))
                    .await()
                    .iterator()
                    .next();
            assertThat(row.getString(0))
                    .as("the row is never updated after its insert")
                    .isEqualTo("reserved");
            assertThat(row.getLong(1)).isNotNull();

            // As if its gateway had died long ago: older than any reservation timeout.
            pool.preparedQuery(
                            "UPDATE payment_intents SET reserved_at = now() - interval '1 hour' WHERE payment_id = $1")
                    .execute(Tuple.of(p.paymentId()))
                    .await();
            IntentStore other = new IntentStore(pool, new IntentStore.Owner("other", "other-lane-0", "other-run"));
            assertThat(other.takeOver(List.of(p.paymentId()), 1_000, 1).await())
                    .as("a covered reservation is accepted, never taken over")
                    .isEmpty();

            int portB = FreePorts.pick();
            b = InProcessGateways.deploy(vertx, infra, "lane-b-" + suffix, portB, 1);
            HttpResponse<String> retry = InProcessGateways.post("http://127.0.0.1:" + portB, apiKey, p);
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            List<String> keys = TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, true).stream()
                    .map(ConsumerRecord::key)
                    .filter(p.paymentId()::equals)
                    .toList();
            assertThat(keys).as("published once").hasSize(1);
        } finally {
            a.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (b != null) {
                b.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            pool.close();
            vertx.close();
        }
    }

    private static String effectiveState(Pool pool, PaymentRequest p) {
        for (Row r : pool.preparedQuery("SELECT state FROM payment_intent_states WHERE payment_id = $1")
                .execute(Tuple.of(p.paymentId()))
                .await()) {
            return r.getString(0);
        }
        return null;
    }
}
