package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.processor.ProcessorMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The provider adapters' meters ({@code provider.*}, named in {@link ProcessorMeters}), registered when an
 * adapter is built, with the label values known in advance, so that they are exported at 0 before the
 * first call. The HTTP status of a retried answer is the one label left open: the statuses in {@link
 * #RETRIED_KNOWN} are registered at start, any other appears with its first answer.
 */
public final class ProviderMeters {
    /** How one call ended, the {@code result} tag of {@code provider_request_seconds}. */
    public enum Result {
        /** An answer about the payment. */
        ANSWERED,
        /** An answer that decides nothing: retried. */
        RETRY,
        /** No answer: a connection error or a timeout. */
        IO_ERROR,
        /** An answer over the size bound. */
        OVERSIZE;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The {@code status} values of {@code provider.retried} (all of kind {@code transient}) registered
     * at start: no answer, an oversize one, and the statuses every provider retries. Both adapters
     * classify these as transient.
     */
    static final List<String> RETRIED_KNOWN = List.of("io", "oversize", "429", "500", "502", "503", "504");

    private final ProcessorMeters metrics;
    final Counter calls;
    final Counter unavailable;
    private final Map<Result, Timer> requests = new EnumMap<>(Result.class);

    ProviderMeters(ProcessorMeters metrics) {
        this.metrics = metrics;
        calls = metrics.providerCalls();
        unavailable = metrics.providerUnavailable();
        for (Result r : Result.values()) {
            requests.put(r, metrics.providerRequest(r.wire()));
        }
        for (String status : RETRIED_KNOWN) {
            retried(status, "transient");
        }
    }

    /** One call's latency, by how it ended. */
    Timer request(Result result) {
        return requests.get(result);
    }

    /**
     * Answers retried, by HTTP status ({@code io}, {@code oversize} without one) and kind ({@code
     * transient} or {@code configuration}); a status outside {@link #RETRIED_KNOWN} is registered here,
     * on its first answer.
     */
    Counter retried(String status, String kind) {
        return metrics.providerRetried(status, kind);
    }

    /** Answers not final yet; for an adapter that counts them, to register at its start. */
    Counter pending() {
        return metrics.providerPending();
    }

    /** Answers for another amount or currency; for an adapter that counts them, to register at its start. */
    Counter mismatch() {
        return metrics.providerMismatch();
    }

    /** OAuth2 tokens fetched; for an adapter that fetches them, to register at its start. */
    Counter tokenFetches() {
        return metrics.providerTokenFetches();
    }
}
