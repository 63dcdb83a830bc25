package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.payment.PaymentRequest;
import com.streamsocial.billing.kafka.KafkaSafety;
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
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * A gateway instance that starts settles the reservations its earlier run left open, at once: the
 * one whose transaction committed is accepted (a retry replays it), the one whose transaction was
 * left open and the one never published are released (a retry is a first acceptance), and nobody
 * waits for {@code gateway.reservationTimeoutMs}.
 */
class GatewayRestartIT {
    /** A key of the tenant "default", made in this test's PostgreSQL. */
    private static String apiKey;

    @Test
    void aRestartedInstanceSettlesWhatItsEarlierRunLeftOpen() throws Exception {
        LocalInfra infra = SharedInfra.get();
        apiKey = TenantKeys.create(infra.pgUri(), "default");
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgConnectOptions.fromUri(infra.pgUri()))
                .using(vertx)
                .build();
        String instance = "gateway-restart-" + Long.toString(System.nanoTime(), 36);
        String lane = instance + "-lane-0";
        Map<TopicPartition, Long> mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
        PaymentRequest committed = request(instance + "-committed");
        PaymentRequest open = request(instance + "-open");
        PaymentRequest never = request(instance + "-never");
        Migrations.apply(vertx, infra.pgUri()).await();
        for (PaymentRequest r : List.of(committed, open, never)) {
            pool.preparedQuery(
                            "INSERT INTO payment_intents (payment_id, tenant, idempotency_key, request_hash, request,"
                                    + " state, reserved_at, owner_instance, owner_lane, owner_run)"
                                    + " VALUES ($1, $2, $3, $4, $5, 'reserved', now(), $6, $7, 'the-dead-run')")
                    .execute(Tuple.from(List.<Object>of(
                            r.paymentId(),
                            r.tenant(),
                            r.idempotencyKey(),
                            r.fingerprint(),
                            r.canonical(),
                            instance,
                            lane)))
                    .await();
        }
        // The dead run's lane: one transaction committed, then one left open, as a SIGKILL leaves it.
        KafkaProducer<String, byte[]> dead = new KafkaProducer<>(
                KafkaSafety.transactionalProducer(Map.of("bootstrap.servers", infra.kafkaBootstrap()), lane, 60_000));
        dead.initTransactions();
        dead.beginTransaction();
        dead.send(record(committed));
        dead.commitTransaction();
        dead.beginTransaction();
        dead.send(record(open));
        dead.flush();

        int port = FreePorts.pick();
        Gateway gateway = InProcessGateways.deploy(vertx, infra, instance, port, 1);
        try {
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> replay = InProcessGateways.post(base, apiKey, committed);
            assertThat(replay.statusCode()).as(replay.body()).isEqualTo(202);
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            for (PaymentRequest r : List.of(open, never)) {
                HttpResponse<String> fresh = InProcessGateways.post(base, apiKey, r);
                assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(202);
                assertThat(fresh.headers().firstValue("Idempotent-Replayed")).isEmpty();
            }
            assertThat(gateway.metrics().count("gateway.restart.reservations.accepted"))
                    .isEqualTo(1);
            assertThat(gateway.metrics().count("gateway.restart.reservations.released"))
                    .isEqualTo(2);
            List<String> keys = TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, true).stream()
                    .map(ConsumerRecord::key)
                    .toList();
            assertThat(keys).containsExactlyInAnyOrder(committed.paymentId(), open.paymentId(), never.paymentId());
        } finally {
            dead.close(java.time.Duration.ZERO);
            gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            pool.close();
            vertx.close();
        }
    }

    private static PaymentRequest request(String key) {
        return PaymentRequest.of("default", key, 4200, "EUR", "cus_r", "pm_card_visa", "restart", Map.of());
    }

    private static ProducerRecord<String, byte[]> record(PaymentRequest r) {
        return new ProducerRecord<>(
                Topics.BILLING,
                r.paymentId(),
                r.toEvent(System.currentTimeMillis()).toBytes());
    }
}
