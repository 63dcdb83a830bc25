package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.processor.kafka.HangingTransactionWatchdog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The hanging transaction reduced to its parts, with no processor and no watchdog: one broker JVM,
 * one transactional producer committing read-process-write shaped transactions (records on three
 * partitions and a group's offsets) back to back, and a SIGKILL of the broker at a random moment.
 * The producer lives through the outage (a random downtime) and retries, as the processor's did;
 * then it is recreated on the same transactional id, as the processor does, and commits a few more; then every partition must reach last stable offset = high
 * watermark within two transaction timeouts, because the coordinator aborts or completes whatever
 * was open. A partition still held after that is a hanging transaction: the program prints what the
 * partition leader and the coordinator say of it and exits 0. Exits 3 when {@code iterations} kills
 * produced none. Usage: {@code java -cp loadtest.jar ...HangingTransactionRepro WORK_DIR [iterations]}
 * ({@code loadtest/bench/hanging-repro.sh}).
 */
public final class HangingTransactionRepro {
    static final String OUT_TOPIC = "repro.out";
    static final String IN_TOPIC = "repro.in";
    static final int OUT_PARTITIONS = 3;
    static final int TRANSACTION_TIMEOUT_MS = 10_000;
    static final String TRANSACTIONAL_ID = "repro-loop";
    static final int BROKER_HEAP_MB = 512;
    /** The broker stays down a random time below this: the hang seen in chaos had it down about 30 s. */
    static final int DOWNTIME_MAX_MS = 15_000;

    private HangingTransactionRepro() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/hanging-repro");
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Files.createDirectories(work);
        Random random = new Random();
        try (BrokerCluster cluster = BrokerCluster.start(work, 1, BROKER_HEAP_MB)) {
            cluster.createTopics(List.of(OUT_TOPIC), OUT_PARTITIONS);
            cluster.createTopics(List.of(IN_TOPIC), 1);
            for (int i = 1; i <= iterations; i++) {
                Loop loop = Loop.start(cluster.bootstrap());
                Thread.sleep(1_000 + random.nextInt(2_000));
                cluster.node(0).kill();
                long killedAt = System.currentTimeMillis();
                // The producer lives on through the outage and retries, as the processor's did.
                Thread.sleep(random.nextInt(DOWNTIME_MAX_MS));
                cluster.node(0).start();
                if (!cluster.node(0).awaitLine("broker ready", BrokerCluster.START_TIMEOUT_MS)) {
                    throw new IllegalStateException(
                            "the broker did not restart:\n" + cluster.node(0).tail(30));
                }
                long before = loop.committed.get();
                Thread.sleep(3_000);
                boolean survived = loop.thread.isAlive() && loop.committed.get() > before;
                loop.stop();
                Loop after = Loop.start(cluster.bootstrap());
                Thread.sleep(2_000);
                after.stop();
                System.out.printf("kill %d: the producer %s the outage%n", i, survived ? "went on after" : "died in");
                String held = awaitStable(cluster.bootstrap(), 2L * TRANSACTION_TIMEOUT_MS + 5_000);
                System.out.printf(
                        "kill %d: %d transactions committed before the kill, %d after; %s%n",
                        i, loop.committed.get(), after.committed.get(), held.isEmpty() ? "all stable" : "HELD");
                if (!held.isEmpty()) {
                    System.out.println("HANGING TRANSACTION reproduced at kill " + i + " ("
                            + (System.currentTimeMillis() - killedAt) + " ms after it):\n" + held
                            + "broker log: " + cluster.node(0).log());
                    return;
                }
            }
        }
        System.out.println("no hanging transaction in " + iterations + " kills");
        System.exit(3);
    }

    /** Waits until no partition is held; what still holds one after {@code timeoutMs}, or "". */
    static String awaitStable(String bootstrap, long timeoutMs) throws Exception {
        List<String> topics = List.of(OUT_TOPIC, "__consumer_offsets");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.currentTimeMillis() + timeoutMs;
            List<HangingTransactionWatchdog.Held> held;
            do {
                held = HangingTransactionWatchdog.heldPartitions(admin, topics, 10_000);
                if (held.isEmpty()) {
                    return "";
                }
                Thread.sleep(1_000);
            } while (System.currentTimeMillis() < deadline);
            return describe(admin, held);
        }
    }

    /** The partition leader's open transactions and the coordinator's view of their producers. */
    private static String describe(Admin admin, List<HangingTransactionWatchdog.Held> held) throws Exception {
        StringBuilder out = new StringBuilder();
        List<TopicPartition> tps =
                held.stream().map(HangingTransactionWatchdog.Held::partition).toList();
        var producers = admin.describeProducers(tps).all().get(10, TimeUnit.SECONDS);
        for (HangingTransactionWatchdog.Held h : held) {
            out.append(String.format(
                    "  %s: last stable offset %d, high watermark %d%n",
                    h.partition(), h.lastStableOffset(), h.highWatermark()));
            for (var s : producers.get(h.partition()).activeProducers()) {
                if (s.currentTransactionStartOffset().isEmpty()) {
                    continue;
                }
                out.append(String.format(
                        "    open: producer %d epoch %d from offset %d, coordinator epoch %s%n",
                        s.producerId(),
                        s.producerEpoch(),
                        s.currentTransactionStartOffset().getAsLong(),
                        s.coordinatorEpoch()));
                for (var l : admin.listTransactions(
                                new ListTransactionsOptions().filterProducerIds(Set.of(s.producerId())))
                        .all()
                        .get(10, TimeUnit.SECONDS)) {
                    var d = admin.describeTransactions(List.of(l.transactionalId()))
                            .description(l.transactionalId())
                            .get(10, TimeUnit.SECONDS);
                    out.append(String.format(
                            "    coordinator: %s %s producer %d epoch %d partitions %s%n",
                            l.transactionalId(), d.state(), d.producerId(), d.producerEpoch(), d.topicPartitions()));
                }
            }
        }
        return out.toString();
    }

    /** A producer committing transactions back to back on its own thread. */
    static final class Loop {
        private final KafkaProducer<byte[], byte[]> producer;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong committed = new AtomicLong();
        private final Thread thread;

        private Loop(KafkaProducer<byte[], byte[]> producer) {
            this.producer = producer;
            this.thread = new Thread(this::run, "repro-producer");
        }

        static Loop start(String bootstrap) {
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID);
            p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
            producer.initTransactions();
            Loop loop = new Loop(producer);
            loop.thread.setDaemon(true);
            loop.thread.start();
            return loop;
        }

        private void run() {
            byte[] value = new byte[200];
            ConsumerGroupMetadata group = new ConsumerGroupMetadata("repro-group");
            long offset = 0;
            try {
                while (running.get()) {
                    producer.beginTransaction();
                    for (int partition = 0; partition < OUT_PARTITIONS; partition++) {
                        producer.send(new ProducerRecord<>(OUT_TOPIC, partition, null, value));
                    }
                    producer.sendOffsetsToTransaction(
                            Map.of(new TopicPartition(IN_TOPIC, 0), new OffsetAndMetadata(++offset)), group);
                    producer.commitTransaction();
                    committed.incrementAndGet();
                }
            } catch (RuntimeException e) {
                System.out.println("producer stopped: " + e);
            }
        }

        /** Ends the loop after its current transaction, and closes the producer. */
        void stop() throws InterruptedException {
            running.set(false);
            thread.join(70_000);
            producer.close(Duration.ofSeconds(10));
        }
    }
}
