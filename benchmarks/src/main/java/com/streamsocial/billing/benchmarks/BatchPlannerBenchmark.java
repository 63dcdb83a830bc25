package com.streamsocial.billing.benchmarks;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.dedup.BatchPlanner;
import com.streamsocial.billing.processor.dedup.InputRecord;
import com.streamsocial.billing.processor.dedup.Plan;
import com.streamsocial.billing.processor.dedup.StoredPayment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The processor's batch planner ({@link BatchPlanner}) over a polled batch of {@code batchSize}
 * records: mostly new payments claimed by this batch, with 2 % duplicates of claimed rows, 1 %
 * replays of finished rows and 1 % key conflicts, as a busy topic delivers them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BatchPlannerBenchmark {
    @Param({"100", "500"})
    public int batchSize;

    private List<InputRecord> batch;
    private Set<String> inserted;
    private Map<String, StoredPayment> existing;

    @Setup
    public void setUp() {
        batch = new ArrayList<>(batchSize);
        inserted = new HashSet<>();
        existing = new HashMap<>();
        for (int i = 0; i < batchSize; i++) {
            String key = "bench-" + i;
            String id = PaymentIds.paymentId("default", key);
            String hash = PaymentIds.fingerprint("body-" + i);
            int kind = i % 100;
            if (kind == 97 || kind == 98) {
                // Already claimed by another record: a duplicate.
                existing.put(id, stored(id, key, hash, PaymentStatus.SUCCEEDED, 0, 1_000_000L + i));
            } else if (kind == 99) {
                // Finished and claimed by this very record: re-emit.
                existing.put(id, stored(id, key, hash, PaymentStatus.SUCCEEDED, 0, i));
            } else if (kind == 96) {
                // The same key stored with another request: a conflict.
                existing.put(id, stored(id, key, "other", PaymentStatus.SUCCEEDED, 0, 1_000_000L + i));
            } else {
                inserted.add(id);
            }
            PaymentEvent e = new PaymentEvent(
                    id, "default", key, hash, 100 + i, "USD", "cus_" + i, "pm_card_visa", "", Map.of(), 0L);
            batch.add(new InputRecord(0, i, id.getBytes(java.nio.charset.StandardCharsets.UTF_8), e.toBytes(), e, null, false, io.opentelemetry.api.trace.SpanContext.getInvalid()));
        }
    }

    private static StoredPayment stored(
            String id, String key, String hash, PaymentStatus status, int partition, long offset) {
        return new StoredPayment(id, "default", key, hash, 100, "USD", status, partition, offset, null, "pi_1", 0L);
    }

    @Benchmark
    public List<InputRecord> claimCandidates() {
        return BatchPlanner.claimCandidates(batch);
    }

    @Benchmark
    public Plan plan() {
        return BatchPlanner.plan(batch, inserted, existing);
    }
}
