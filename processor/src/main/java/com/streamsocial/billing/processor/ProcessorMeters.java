package com.streamsocial.billing.processor;

import com.streamsocial.billing.events.DecodeError;
import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.webhook.WebhookRules;
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
 * {@code processor.records} is scraped as {@code processor_records_total}). The loop's are registered
 * when this is built, the others (provider, naive modes, gauges) by the class that owns them when it is
 * built; each with its label values known in advance, so that a fresh processor exports 0 for all of
 * them and {@code rate()} and {@code increase()} see the first event. Tags are closed sets: a stage, a
 * code, a class; never a payment id, a key, a tenant or a secret.
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
    public final Counter hangingRedriven;
    public final Counter outcomesEmitted;
    public final Counter outcomesReemitted;
    public final Counter outcomesAlreadyCommitted;
    public final Counter duplicates;
    public final Counter conflicts;
    private final Map<Stage, Counter> batchesFailed = new EnumMap<>(Stage.class);
    private final Map<DecodeError.Code, Counter> deadLetters = new EnumMap<>(DecodeError.Code.class);
    private final Map<WebhookRules.Outcome, Counter> webhooksApplied = new EnumMap<>(WebhookRules.Outcome.class);

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
        hangingRedriven = counter(
                "processor.transactions.hanging.redriven",
                "Payments re-driven because aborting a hanging transaction took away their only outcome");
        outcomesEmitted = counter("processor.outcomes.emitted", "Outcomes written to payments.results");
        outcomesReemitted = counter("processor.outcomes.reemitted", "Stored outcomes re-emitted on replay");
        outcomesAlreadyCommitted = counter(
                "processor.outcomes.already.committed",
                "Stored outcomes not re-emitted: a record read again after its outcome was committed");
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
        for (WebhookRules.Outcome o : WebhookRules.Outcome.values()) {
            webhooksApplied.put(
                    o,
                    counter(
                            "processor.webhooks.applied",
                            "Provider webhook events read from payments.webhooks, by what became of each",
                            "outcome",
                            o.wire()));
        }
    }

    /** Webhook events read, by outcome (issue 21 §2): a closed set, one series each from the start. */
    public Counter webhookApplied(WebhookRules.Outcome outcome) {
        return webhooksApplied.get(outcome);
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

    // ---- Meters registered by the class that owns them, when it is built: named here all the same ----

    /** Calls to the provider; registered by each adapter (its {@code ProviderMeters}). */
    public Counter providerCalls() {
        return counter("provider.calls", "Calls to the payment provider");
    }

    /** Charges left undecided at the batch deadline; registered by each adapter and its limiter. */
    public Counter providerUnavailable() {
        return counter("provider.unavailable", "Charges left undecided at the batch deadline");
    }

    /** One provider call's latency, by how it ended ({@code result}: a closed set). */
    public Timer providerRequest(String result) {
        return timer(
                "provider.request", "Calls to the payment provider, until their answer or failure", "result", result);
    }

    /** Answers retried, by HTTP status ({@code io}, {@code oversize} without one) and kind. */
    public Counter providerRetried(String status, String kind) {
        return counter(
                "provider.retried", "Provider answers that decide nothing, retried", "status", status, "kind", kind);
    }

    /** Answers not final yet; registered by the adapter that counts them. */
    public Counter providerPending() {
        return counter("provider.pending", "Answers not final yet (processing, requires_action): asked again later");
    }

    /** Answers for another amount or currency; registered by the adapter that counts them. */
    public Counter providerMismatch() {
        return counter("provider.mismatch", "Answers for another amount or currency than asked: a break");
    }

    /** OAuth2 tokens fetched; registered by the adapter that fetches them. */
    public Counter providerTokenFetches() {
        return counter("provider.token.fetches", "OAuth2 access tokens fetched from the provider");
    }

    /** Calls that found no token of the provider's rate at their turn; registered by the limiter. */
    public Counter providerRateLimited() {
        return counter(
                "provider.rate.limited",
                "Provider calls that found no token of provider.rateLimitPerSec at their turn, and waited");
    }

    /** Decreases of the provider concurrency limit, by the signal ({@code reason}: drops, latency). */
    public Counter providerConcurrencyDecreased(String reason) {
        return counter(
                "provider.concurrency.decreased",
                "Decreases of the provider concurrency limit, by the signal",
                "reason",
                reason);
    }

    /** The limiter's gauges: the limit, the calls in flight, the calls waiting. */
    public void providerLimiterGauges(Supplier<Number> limit, Supplier<Number> inFlight, Supplier<Number> waiting) {
        gauge(
                "provider.concurrency.limit",
                "Provider calls allowed in flight now: adapted within provider.concurrencyMin..provider.inFlightMax",
                limit);
        gauge("provider.in.flight", "Provider calls in flight now", inFlight);
        gauge("provider.waiting", "Provider calls waiting for the concurrency limit or the rate", waiting);
    }

    /** Records the naive modes dropped unprocessed; registered by the naive batch. */
    public Counter naiveDropped() {
        return counter("processor.naive.dropped", "Records the naive modes dropped unprocessed");
    }

    /** Naive batches that failed; registered by the naive loop. */
    public Counter naiveFailedBatches() {
        return counter("processor.naive.failed.batches", "Naive batches that failed");
    }

    /** The ordinal of the worst loop state. */
    public void loopState(Supplier<Number> worstOrdinal) {
        gauge("processor.loop.state", "Ordinal of the worst loop state (FATAL=7)", worstOrdinal);
    }

    /** Payments in {@code charging} for too long, counted up to {@code countedMax}, as of the last check. */
    public void paymentsStuck(int countedMax, Supplier<Number> charging) {
        gauge(
                "processor.payments.stuck",
                "Payments in charging for longer than reconcile.stuckAfterMs (counted up to " + countedMax
                        + "), as of the last check",
                charging,
                "status",
                "charging");
    }

    /** Hanging transactions that are not a processor's, as of the watchdog's last check. */
    public void hangingUnowned(Supplier<Number> found) {
        gauge(
                "processor.transactions.hanging.unowned",
                "Hanging transactions found on the processors' partitions that are not a processor's (left alone)",
                found);
    }

    /** Breaks of class {@code breakClass} found by the last periodic reconciliation. */
    public void reconciliationBreaks(String breakClass, Supplier<Number> found) {
        gauge("reconciliation.breaks", "Breaks found by the last periodic reconciliation", found, "class", breakClass);
    }

    /** How long the last periodic reconciliation took. */
    public void reconciliationLastRunSeconds(Supplier<Number> seconds) {
        gauge("reconciliation.last.run.duration.seconds", "Duration of the last periodic reconciliation", seconds);
    }

    // ---- Registration ----

    /** The counter {@code name} with {@code tags} (key, value, ...), registered now (or found again). */
    private Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /**
     * A latency timer in seconds, published as a histogram so that quantiles aggregate across
     * instances; registered now, so its buckets are exported at 0 before the first event.
     */
    private Timer timer(String name, String description, String... tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .publishPercentileHistogram()
                .register(registry);
    }

    /** A gauge read when scraped: {@code value} must be cheap and must not block. */
    private void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }
}
