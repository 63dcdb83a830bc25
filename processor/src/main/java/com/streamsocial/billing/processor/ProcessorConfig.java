package com.streamsocial.billing.processor;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.processor.guarantee.Guarantee;
import com.streamsocial.billing.processor.psp.ProviderLimits;
import com.streamsocial.billing.processor.psp.TokenBucket;
import com.streamsocial.billing.processor.refund.PendingRefundSweep;
import com.streamsocial.billing.service.CommonSettings;
import com.streamsocial.billing.service.ServiceConfig;

/**
 * The processor's settings, each with its unit in its name; read from {@link Settings}. The settings
 * both services share (PostgreSQL, Kafka, the shutdown bound) are {@link CommonSettings}.
 */
public record ProcessorConfig(
        CommonSettings common,
        String groupId,
        int transactionTimeoutMs,
        long processTimeoutMs,
        long pollMs,
        long backoffInitialMs,
        long backoffMaxMs,
        int maxPollRecords,
        int loops,
        String httpHost,
        int httpPort,
        long faultStallOnBatch,
        long faultStallMs,
        String providerKind,
        String providerBaseUrl,
        String providerSecretKey,
        String providerClientId,
        String providerClientSecret,
        int providerInFlightMax,
        int providerConcurrencyMin,
        int providerRateLimitPerSec,
        long providerCallTimeoutMs,
        long providerRetryInitialMs,
        long providerRetryMaxMs,
        long reconcileIntervalMs,
        long reconcileWindowMs,
        long reconcileGraceMs,
        long reconcileStuckAfterMs,
        long stuckCheckMs,
        long pendingRefundCheckMs,
        long pendingRefundBackoffMs,
        long hangingCheckMs,
        Guarantee guarantee,
        boolean leaveGroupOnStop,
        boolean devMode)
        implements ServiceConfig {

    /** Upper bound of {@code processor.maxPollRecords}: records per batch (one transaction). */
    public static final int MAX_POLL_RECORDS_LIMIT = 10_000;

    /**
     * Default of {@code processor.loops}. One loop reads every partition the instance holds, so its
     * batches, and the transactions and statements they cost, are as large as the load allows. On 2
     * cores, 1 loop (with 1 gateway lane) measured 364 µs of CPU a payment against 453 µs with 3, and
     * drained faster with a 100-300 ms provider (docs/BENCHMARKS.md, 2026-12-07).
     */
    public static final int LOOPS_DEFAULT = 1;

    /**
     * Upper bound of {@code provider.inFlightMax}: provider calls in flight at once, each on its own
     * HTTP/1.1 connection of the adapter's pool (so also the pool's connections at most). Also its
     * default: the adaptive limit only goes there while the provider keeps up.
     */
    public static final int PROVIDER_IN_FLIGHT_LIMIT = 4_096;

    /**
     * Default of {@code provider.concurrencyMin}: the adaptive limit's floor however overloaded the
     * provider looks, so that a batch still moves (16 calls at 200 ms: 80 calls/s).
     */
    static final int PROVIDER_CONCURRENCY_MIN_DEFAULT = 16;

    /**
     * Default of {@code provider.rateLimitPerSec} while the provider is on loopback (the sandbox):
     * above what 2,000 payments/s need with either provider (PayPal makes two calls a payment), so
     * that the bound never limits a benchmark; it still bounds a retry storm.
     */
    static final int PROVIDER_RATE_LIMIT_SANDBOX_PER_SEC = 10_000;

    /**
     * Default of {@code provider.rateLimitPerSec} for a provider elsewhere: Stripe's default for a
     * live account (100 requests/s; 25 in test mode), which PayPal's unpublished limits are about.
     * Operators set their account's allowance; past it the provider answers 429.
     */
    static final int PROVIDER_RATE_LIMIT_REMOTE_PER_SEC = 100;

    /**
     * Upper bound of {@code processor.loops}: read-process-write loops per instance, each a consumer
     * and a transactional producer on its own thread. More loops than the topic has partitions idle.
     */
    public static final int LOOPS_LIMIT = 64;

    public ProcessorConfig {
        Check.argument(loops >= 1 && loops <= LOOPS_LIMIT, "processor.loops must be 1..%d, got %d", LOOPS_LIMIT, loops);
        Check.argument(
                maxPollRecords >= 1 && maxPollRecords <= MAX_POLL_RECORDS_LIMIT,
                "processor.maxPollRecords must be 1..%d, got %d",
                MAX_POLL_RECORDS_LIMIT,
                maxPollRecords);
        Check.argument(
                providerInFlightMax >= 1 && providerInFlightMax <= PROVIDER_IN_FLIGHT_LIMIT,
                "provider.inFlightMax must be 1..%d, got %d",
                PROVIDER_IN_FLIGHT_LIMIT,
                providerInFlightMax);
        Check.argument(
                providerConcurrencyMin >= 1 && providerConcurrencyMin <= providerInFlightMax,
                "provider.concurrencyMin must be 1..provider.inFlightMax (%d), got %d",
                providerInFlightMax,
                providerConcurrencyMin);
        Check.argument(
                providerRateLimitPerSec >= 1 && providerRateLimitPerSec <= TokenBucket.RATE_PER_SEC_MAX,
                "provider.rateLimitPerSec must be 1..%d, got %d",
                TokenBucket.RATE_PER_SEC_MAX,
                providerRateLimitPerSec);
        // A batch must be decided well inside its transaction's lifetime.
        Check.argument(
                processTimeoutMs * 2 <= transactionTimeoutMs,
                "processor.processTimeoutMs (%d) must be at most half of processor.transactionTimeoutMs (%d)",
                processTimeoutMs,
                transactionTimeoutMs);
        Check.argument(
                providerKind.equals("stripe") || providerKind.equals("paypal") || providerKind.equals("approve-all"),
                "provider.kind must be stripe, paypal or approve-all, got %s",
                providerKind);
        Check.argument(
                providerCallTimeoutMs * 2 < processTimeoutMs,
                "provider.callTimeoutMs (%d) must be less than half of processor.processTimeoutMs (%d)",
                providerCallTimeoutMs,
                processTimeoutMs);
        Check.argument(guarantee != null, "processor.guarantee is required");
        Check.argument(
                pendingRefundBackoffMs >= 1 && pendingRefundBackoffMs <= PendingRefundSweep.BACKOFF_MAX_MS,
                "processor.pendingRefundBackoffMs must be 1..%d, got %d",
                PendingRefundSweep.BACKOFF_MAX_MS,
                pendingRefundBackoffMs);
    }

    /** Without the provider's secret key: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "ProcessorConfig[instanceId=" + instanceId() + ", groupId=" + groupId + ", loops=" + loops + ", http="
                + httpHost + ":" + httpPort + ", provider=" + providerKind + " " + providerBaseUrl
                + ", provider.secretKey=****, provider.clientId=" + providerClientId
                + ", provider.clientSecret=****, provider " + providerLimits() + ", pg.password "
                + (pgPassword() == null ? "unset" : "set") + ", guarantee="
                + guarantee + ", dev.mode=" + devMode + "]";
    }

    /** How hard the adapter may call the provider. */
    public ProviderLimits providerLimits() {
        return new ProviderLimits(providerConcurrencyMin, providerInFlightMax, providerRateLimitPerSec);
    }

    /** The provider gives up on a batch here, leaving time to record outcomes and commit. */
    public long providerDeadlineMs() {
        return processTimeoutMs * 3 / 4;
    }

    /** The sandbox's key: the default only while {@code provider.baseUrl} is on this machine. */
    static final String SANDBOX_SECRET_KEY = "sk_test_sandbox";

    /**
     * {@code provider.secretKey}, from the environment ({@code BILLING_PROVIDER_SECRETKEY}) or the file
     * named by {@code provider.secretKeyFile}, never from {@code -D} (the process list shows it). Unset,
     * it is the sandbox's key when the provider is on loopback, and a start-up error otherwise.
     */
    static String providerSecretKey(Settings s) {
        String key = s.secret("provider.secretKey");
        if (key != null) {
            return key;
        }
        String baseUrl = s.string("provider.baseUrl", "http://127.0.0.1:8090");
        boolean loopback = loopback(baseUrl);
        Check.argument(
                loopback || !s.string("provider.kind", "stripe").equals("stripe"),
                "provider.secretKey is required for provider.baseUrl %s: set it in the environment as %s, or"
                        + " put it in a file named by provider.secretKeyFile",
                baseUrl,
                Settings.environmentName("provider.secretKey"));
        return SANDBOX_SECRET_KEY;
    }

    /**
     * Default reconciliation window and grace period, ms. PayPal lists a transaction in Transaction
     * Search up to three hours after it happens: against PayPal itself (not the sandbox on loopback),
     * a charge younger than that is not yet missing, so the grace is 3 h and the window 6 h, or the
     * periodic run would report every recent capture as missing_at_provider.
     */
    static int[] reconcileDefaults(Settings s) {
        boolean paypalItself = s.string("provider.kind", "stripe").equals("paypal")
                && !loopback(s.string("provider.baseUrl", "http://127.0.0.1:8090"));
        return paypalItself ? new int[] {21_600_000, 10_800_000} : new int[] {3_600_000, 60_000};
    }

    private static boolean loopback(String baseUrl) {
        String host = java.net.URI.create(baseUrl).getHost();
        return "127.0.0.1".equals(host) || "localhost".equals(host) || "[::1]".equals(host);
    }

    /** The sandbox's PayPal client credentials: the defaults only while {@code provider.baseUrl} is on this machine. */
    static final String SANDBOX_CLIENT_ID = "sandbox-client-id";

    static final String SANDBOX_CLIENT_SECRET = "sandbox-client-secret";

    /**
     * {@code provider.clientSecret} (PayPal), read as {@code provider.secretKey} is: environment
     * ({@code BILLING_PROVIDER_CLIENTSECRET}) or the file named by {@code provider.clientSecretFile},
     * never {@code -D}. Unset, the sandbox's while the provider is on loopback; required for paypal
     * elsewhere.
     */
    static String providerClientSecret(Settings s) {
        String secret = s.secret("provider.clientSecret");
        if (secret != null) {
            return secret;
        }
        String baseUrl = s.string("provider.baseUrl", "http://127.0.0.1:8090");
        Check.argument(
                loopback(baseUrl) || !s.string("provider.kind", "stripe").equals("paypal"),
                "provider.clientSecret is required for provider.baseUrl %s: set it in the environment as %s, or"
                        + " put it in a file named by provider.clientSecretFile",
                baseUrl,
                Settings.environmentName("provider.clientSecret"));
        return SANDBOX_CLIENT_SECRET;
    }

    static String providerClientId(Settings s) {
        String baseUrl = s.string("provider.baseUrl", "http://127.0.0.1:8090");
        String id = s.string("provider.clientId", null);
        Check.argument(
                id != null
                        || loopback(baseUrl)
                        || !s.string("provider.kind", "stripe").equals("paypal"),
                "provider.clientId is required for provider.baseUrl %s",
                baseUrl);
        return id != null ? id : SANDBOX_CLIENT_ID;
    }

    public static ProcessorConfig from(Settings s) {
        return new ProcessorConfig(
                CommonSettings.from(s, "processor", 4),
                s.string("processor.groupId", "billing-processor"),
                s.integer("processor.transactionTimeoutMs", 60_000),
                s.integer("processor.processTimeoutMs", 30_000),
                s.integer("processor.pollMs", 100),
                s.integer("processor.backoffInitialMs", 200),
                s.integer("processor.backoffMaxMs", 10_000),
                s.integer("processor.maxPollRecords", 2_000),
                s.integer("processor.loops", LOOPS_DEFAULT),
                // Health and metrics only: loopback unless the operator exposes them (docs/API.md).
                s.string("processor.httpHost", "127.0.0.1"),
                s.integer("processor.httpPort", 8081),
                s.integer("processor.faults.stallOnBatch", 0),
                s.integer("processor.faults.stallMs", 0),
                s.string("provider.kind", "stripe"),
                s.string("provider.baseUrl", "http://127.0.0.1:8090"),
                providerSecretKey(s),
                providerClientId(s),
                providerClientSecret(s),
                s.integer("provider.inFlightMax", PROVIDER_IN_FLIGHT_LIMIT),
                // At most the ceiling, so that a lower provider.inFlightMax alone stays valid.
                s.integer(
                        "provider.concurrencyMin",
                        Math.min(
                                PROVIDER_CONCURRENCY_MIN_DEFAULT,
                                s.integer("provider.inFlightMax", PROVIDER_IN_FLIGHT_LIMIT))),
                s.integer(
                        "provider.rateLimitPerSec",
                        loopback(s.string("provider.baseUrl", "http://127.0.0.1:8090"))
                                ? PROVIDER_RATE_LIMIT_SANDBOX_PER_SEC
                                : PROVIDER_RATE_LIMIT_REMOTE_PER_SEC),
                s.integer("provider.callTimeoutMs", 2_000),
                s.integer("provider.retryInitialMs", 50),
                s.integer("provider.retryMaxMs", 2_000),
                s.integer("reconcile.intervalMs", 900_000),
                s.integer("reconcile.windowMs", reconcileDefaults(s)[0]),
                s.integer("reconcile.graceMs", reconcileDefaults(s)[1]),
                s.integer("reconcile.stuckAfterMs", 300_000),
                s.integer("processor.stuckCheckMs", 30_000),
                s.integer("processor.pendingRefundCheckMs", 30_000),
                s.integer("processor.pendingRefundBackoffMs", 60_000),
                s.integer("processor.hangingCheckMs", 30_000),
                Guarantee.parse(s.string("processor.guarantee", Guarantee.EXACTLY_ONCE.wire())),
                s.bool("shutdown.leaveGroup", true),
                // Off by default: the modes that move no money or spend it unsafely need it (DevModes).
                s.bool(DevModes.SETTING, false));
    }
}
