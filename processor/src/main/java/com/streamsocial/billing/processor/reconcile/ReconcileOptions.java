package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.contract.Check;
import java.nio.file.Path;
import java.util.Map;

/**
 * One reconciliation run: the window of acceptance times, the grace period before a missing row or
 * outcome counts as a break, the age at which charging counts as stuck, and where to reach the
 * sources. Without {@code repair} it is a dry run.
 */
public record ReconcileOptions(
        long fromMs,
        long toMs,
        long graceMs,
        long stuckAfterMs,
        boolean repair,
        Path reportFile,
        String pgUri,
        Map<String, Object> kafka,
        String providerBaseUrl,
        String providerSecretKey,
        int pageRecordsMax,
        int idsPerClassMax) {

    public ReconcileOptions {
        Check.argument(fromMs <= toMs, "the window starts after it ends: %d > %d", fromMs, toMs);
        Check.argument(pageRecordsMax > 0 && pageRecordsMax <= 100_000, "pageRecordsMax must be 1..100000");
        kafka = Map.copyOf(kafka);
    }
}
