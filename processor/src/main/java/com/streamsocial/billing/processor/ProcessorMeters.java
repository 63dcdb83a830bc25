package com.streamsocial.billing.processor;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.metrics.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The processor's meters in its {@link ServiceMetrics}, each named once here (Micrometer names:
 * {@code processor.records} is scraped as {@code processor_records_total}), and every one registered
 * when this is built, with each label value known in advance, so that a fresh processor exports 0 for
 * all of them and {@code rate()} and {@code increase()} see the first event. Tags are closed sets: a
 * stage, a code, a class; never a payment id, a key, a tenant or a secret.
 */
public final class ProcessorMeters {
    /** Where a batch failed; it is read again in every case. */
    public enum Stage {
        /** The provider or PostgreSQL, within the batch deadline. */
        PROCESS,
        /** Beginning the transaction, sending its records or its offsets. */
        TRANSACTION,
        /** {@code commitTransaction} failed (not a timeout): its outcome is resolved. */
        COMMIT;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final ServiceMetrics service;
    private final MeterRegistry registry;
    public final Counter records;
    public final Counter batchesCommitted;
    public final Counter commitsUnresolved;
    public final Counter commitTimeouts;
    public final Timer transactionCommit;
    public final Counter rebalances;
    public final Counter hangingAborted;
    public final Counter outcomesEmitted;
    public final Counter outcomesReemitted;
    public final Counter duplicates;
    public final Counter conflicts;
    private final Map<Stage, Counter> batchesFailed = new EnumMap<>(Stage.class);
    private final Map<DecodeError.Code, Counter> deadLetters = new EnumMap<>(DecodeError.Code.class);

    public ProcessorMeters(ServiceMetrics service) {
        this.service = service;
        this.registry = service.registry();
        records = counter("processor.records", "Billing records consumed and committed");
        batchesCommitted = counter("processor.batches.committed", "Read-process-write transactions committed");
        commitsUnresolved = counter(
                "processor.commits.unresolved", "Commits whose outcome was settled by re-initialising the producer");
        commitTimeouts = counter(
                "processor.commit.timeouts", "commitTransaction calls that timed out (outcome unknown until resolved)");
        transactionCommit = timer(
                "processor.transaction.commit",
                "commitTransaction until it returned (retries of a timed-out commit included)");
        rebalances = counter("processor.rebalances", "Partition revocations");
        hangingAborted = counter(
                "processor.transactions.hanging.aborted",
                "Hanging processor transactions aborted (their batches are read again)");
        outcomesEmitted = counter("processor.outcomes.emitted", "Outcomes written to payments.results");
        outcomesReemitted = counter("processor.outcomes.reemitted", "Stored outcomes re-emitted on replay");
        duplicates = counter("processor.duplicates", "Duplicate billing records (no second outcome)");
        conflicts = counter("processor.conflicts", "Known keys reused with a different request");
        for (Stage s : Stage.values()) {
            batchesFailed.put(
                    s,
                    counter(
                            "processor.batches.failed",
                            "Batches that failed and will be read again",
                            "stage",
                            s.wire()));
        }
        for (DecodeError.Code c : DecodeError.Code.values()) {
            deadLetters.put(
                    c,
                    counter(
                            "processor.dead.letters",
                            "Billing records that cannot be processed, sent to payments.dlq",
                            "code",
                            c.wire()));
        }
    }

    public ServiceMetrics service() {
        return service;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Batches aborted and read again, failed at {@code stage}. */
    public Counter batchFailed(Stage stage) {
        return batchesFailed.get(stage);
    }

    /** Records sent to {@code payments.dlq}, by why they could not be processed. */
    public Counter deadLetter(DecodeError.Code code) {
        return deadLetters.get(code);
    }

    /**
     * The counter {@code name} with {@code tags} (key, value, ...), registered now: call it at start,
     * from the constructor of the class that owns the meter, and keep the counter.
     */
    public Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /**
     * A latency timer in seconds, published as a histogram so that quantiles aggregate across
     * instances; registered now, so its buckets are exported at 0 before the first event.
     */
    public Timer timer(String name, String description, String... tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .publishPercentileHistogram()
                .register(registry);
    }

    /** A gauge read when scraped: {@code value} must be cheap and must not block. */
    public void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }
}
