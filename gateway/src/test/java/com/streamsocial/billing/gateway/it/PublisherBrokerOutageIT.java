package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import com.streamsocial.billing.kafka.KafkaSafety;
import com.streamsocial.billing.kafka.TransactionalSession;
import com.streamsocial.billing.stack.EmbeddedKafka;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.StallingKafkaProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A broker away longer than a transaction's commit tries and a new producer's {@code initTransactions}
 * (what the 50-kill chaos run on a loaded machine met: broker restarts of 16-33 s): the producer
 * lane's {@code initTransactions} is tried again until the broker is back, and the lane goes on
 * READY. Before, the first timed-out {@code initTransactions} made it FATAL, and the gateway's
 * liveness then failed and it was restarted, a cold start for an outage it could have waited out.
 * The outage is a proxy in front of a real broker cutting every connection; it ends only once an
 * {@code initTransactions} has timed out.
 */
class PublisherBrokerOutageIT {
    /** Each blocking call's bound: short, so that the cut outlasts the commit's tries and the abort quickly. */
    private static final int MAX_BLOCK_MS = 1_000;
    /** Bound on every wait of this test; not a timing assertion. */
    private static final long WAIT_MS = 120_000;

    @Test
    void aBrokerAwayPastTheCommitsTriesAndAnInitTimeoutLeavesTheLaneReadyNotFatal() throws Exception {
        int brokerPort = FreePorts.pick();
        int proxyPort = FreePorts.pick();
        try (StallingKafkaProxy proxy = new StallingKafkaProxy(proxyPort, brokerPort);
                EmbeddedKafka kafka = EmbeddedKafka.startBehindProxy(brokerPort, proxyPort)) {
            kafka.createTopics(Topics.ALL, 3);
            Map<String, Object> pass = new HashMap<>();
            pass.put("bootstrap.servers", "127.0.0.1:" + proxyPort);
            pass.put("max.block.ms", MAX_BLOCK_MS);
            pass.put("request.timeout.ms", MAX_BLOCK_MS);
            pass.put("delivery.timeout.ms", 2 * MAX_BLOCK_MS);
            try (TransactionalPublisher publisher = new TransactionalPublisher(
                    KafkaSafety.transactionalProducer(pass, "publisher-outage-it-lane-0", 10_000),
                    new SimpleMeterRegistry().counter("commit.retries"))) {
                publisher.start().get(WAIT_MS, TimeUnit.MILLISECONDS);
                publisher.publish(records("before"), false).get(WAIT_MS, TimeUnit.MILLISECONDS);

                proxy.cut(true);
                CompletableFuture<Void> during = publisher.publish(records("during"), false);
                long deadline = System.currentTimeMillis() + WAIT_MS;
                while (publisher.initTimeouts() == 0 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(publisher.initTimeouts())
                        .as("a new producer's initTransactions timed out while the broker was away")
                        .isPositive();
                proxy.cut(false);

                Throwable failed = catchThrowable(() -> during.get(WAIT_MS, TimeUnit.MILLISECONDS));
                assertThat(failed).isInstanceOf(ExecutionException.class);
                assertThat(failed.getCause()).isInstanceOf(TransactionalPublisher.TransactionFailedException.class);
                System.out.printf(
                        "the transaction during the outage: %s (%d initTransactions timed out)%n",
                        failed.getCause().getMessage(), publisher.initTimeouts());
                assertThat(publisher.state())
                        .as("the lane after the outage (FATAL: %s)", publisher.fatalCause())
                        .isEqualTo(TransactionalSession.State.READY);
                assertThat(((TransactionalPublisher.TransactionFailedException) failed.getCause()).outcome())
                        .as("decided by the new producer, or aborted: never left unknown")
                        .isNotEqualTo(TransactionalPublisher.Outcome.UNKNOWN);

                publisher.publish(records("after"), false).get(WAIT_MS, TimeUnit.MILLISECONDS);
                assertThat(publisher.state()).isEqualTo(TransactionalSession.State.READY);
            }
        }
    }

    private static List<ProducerRecord<String, byte[]>> records(String key) {
        return List.of(
                new ProducerRecord<>(Topics.BILLING, key, new byte[] {1}),
                new ProducerRecord<>(Topics.METRICS, key, new byte[] {2}));
    }
}
