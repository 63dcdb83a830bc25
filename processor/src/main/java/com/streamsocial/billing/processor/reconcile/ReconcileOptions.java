package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.processor.ProcessorConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * One reconciliation run: the window of acceptance times, the grace period before a missing row or
 * outcome counts as a break, the age at which charging counts as stuck, and where to reach the
 * sources, including the processor's consumer group, whose committed offsets tell a lagging
 * processor from a lost payment, and the provider account whose settlement report it reads. Without {@code repair} it is a dry run.
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
        String processorGroupId,
        ProviderAccount provider,
        int pageRecordsMax,
        int idsPerClassMax,
        String pgPassword) {

    public ReconcileOptions {
        Check.argument(fromMs <= toMs, "the window starts after it ends: %d > %d", fromMs, toMs);
        Check.argument(pageRecordsMax > 0 && pageRecordsMax <= 100_000, "pageRecordsMax must be 1..100000");
        Check.argument(processorGroupId != null && !processorGroupId.isEmpty(), "processorGroupId must be set");
        Check.argument(provider != null, "the provider account must be set");
        kafka = Map.copyOf(kafka);
    }

    /**
     * A Stripe account, without a password from the environment or a file: the URI's own, if any, is
     * used.
     */
    public ReconcileOptions(
            long fromMs,
            long toMs,
            long graceMs,
            long stuckAfterMs,
            boolean repair,
            Path reportFile,
            String pgUri,
            Map<String, Object> kafka,
            String processorGroupId,
            String providerBaseUrl,
            String providerSecretKey,
            int pageRecordsMax,
            int idsPerClassMax) {
        this(
                fromMs,
                toMs,
                graceMs,
                stuckAfterMs,
                repair,
                reportFile,
                pgUri,
                kafka,
                processorGroupId,
                ProviderAccount.stripe(providerBaseUrl, providerSecretKey),
                pageRecordsMax,
                idsPerClassMax,
                null);
    }

    /**
     * The periodic reconciliation's run inside a processor, for the window of {@code
     * reconcile.windowMs} ending {@code now}: a dry run, its report in the temporary directory, the
     * processor's own PostgreSQL, Kafka, group and provider account.
     */
    public static ReconcileOptions periodic(ProcessorConfig config, long now) {
        return new ReconcileOptions(
                now - config.reconcileWindowMs(),
                now,
                config.reconcileGraceMs(),
                config.reconcileStuckAfterMs(),
                false,
                Path.of(System.getProperty("java.io.tmpdir"), "reconciliation-" + config.instanceId() + ".json"),
                config.pgUri(),
                config.kafka(),
                config.groupId(),
                config.providerKind().equals("paypal")
                        ? ProviderAccount.paypal(
                                config.providerBaseUrl(), config.providerClientId(), config.providerClientSecret())
                        : ProviderAccount.stripe(config.providerBaseUrl(), config.providerSecretKey()),
                5_000,
                1_000,
                config.pgPassword());
    }

    /** PostgreSQL: the URI, with {@code pgPassword} instead of its own when set. */
    public io.vertx.pgclient.PgConnectOptions pgConnect() {
        io.vertx.pgclient.PgConnectOptions o = com.streamsocial.billing.config.PgUri.connectOptions(pgUri);
        return pgPassword == null ? o : o.setPassword(pgPassword);
    }

    /** Without the provider's secret key: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "ReconcileOptions[fromMs=" + fromMs + ", toMs=" + toMs + ", repair=" + repair + ", provider=" + provider
                + ", pgPassword=" + (pgPassword == null ? "unset" : "****")
                + "]";
    }
}
