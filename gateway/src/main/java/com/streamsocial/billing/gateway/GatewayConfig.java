package com.streamsocial.billing.gateway;

import com.streamsocial.billing.config.Loopback;
import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.gateway.limit.TenantLimits;
import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import com.streamsocial.billing.gateway.webhook.WebhookConfig;
import com.streamsocial.billing.service.CommonSettings;
import com.streamsocial.billing.service.ServiceConfig;

/**
 * The gateway's settings, each with its unit in its name. Read from {@link Settings}: for example
 * {@code -Dgateway.lingerMs=2} or {@code BILLING_GATEWAY_LINGERMS=2}. A listener off loopback without
 * TLS and without {@code http.plaintext=true} is refused here, before anything connects. The settings
 * both services share (PostgreSQL, Kafka, the shutdown bound) are {@link CommonSettings}.
 */
public record GatewayConfig(
        CommonSettings common,
        String httpHost,
        int httpPort,
        int producers,
        int batchRecordsMax,
        int batchBytesMax,
        long lingerMs,
        int queueRecordsMax,
        int transactionTimeoutMs,
        long reservationTimeoutMs,
        int retryAfterS,
        long authCacheTtlMs,
        int authCacheEntriesMax,
        int authRefusedCacheEntriesMax,
        int authFailuresPerS,
        int authFailureBurst,
        int authAddressesTrackedMax,
        TenantLimits tenantLimits,
        int httpConnectionsMax,
        int httpIdleTimeoutS,
        int httpRequestReadTimeoutMs,
        int pgReadPoolSizeMax,
        int readsQueuedMax,
        String managementHost,
        int managementPort,
        String tlsCertPath,
        String tlsKeyPath,
        long drainReadinessGraceMs,
        int httpRequestLineBytesMax,
        int httpHeaderBytesMax,
        int httpHeadersCountMax,
        boolean httpPlaintext,
        int httpConnectionsPerAddressMax,
        OwnershipConfig ownership,
        long tlsReloadCheckMs,
        WebhookConfig webhooks)
        implements ServiceConfig {

    public GatewayConfig {
        Check.argument(producers >= 1 && producers <= 64, "gateway.producers must be 1..64, got %d", producers);
        // The largest request (a 16 KiB body, estimated at three times that in records) must fit a batch.
        Check.argument(
                batchBytesMax >= 64 * 1024, "gateway.batchBytesMax must be at least 65536, got %d", batchBytesMax);
        // A reservation may only be taken over once its transaction can no longer commit.
        Check.argument(
                reservationTimeoutMs > 2L * transactionTimeoutMs,
                "gateway.reservationTimeoutMs (%d) must exceed twice gateway.transactionTimeoutMs (%d)",
                reservationTimeoutMs,
                transactionTimeoutMs);
        Check.argument(
                authCacheTtlMs >= 0 && authCacheTtlMs <= 10_000,
                "auth.cacheTtlMs must be 0..10000 (revocation takes effect within 10 s), got %d",
                authCacheTtlMs);
        Check.argument(
                authCacheEntriesMax >= 1, "auth.cacheEntriesMax must be at least 1, got %d", authCacheEntriesMax);
        Check.argument(
                authRefusedCacheEntriesMax >= 1,
                "auth.refusedCacheEntriesMax must be at least 1, got %d",
                authRefusedCacheEntriesMax);
        Check.argument(
                authFailuresPerS >= 1 && authFailureBurst >= 1 && authAddressesTrackedMax >= 1,
                "auth.failuresPerS, auth.failureBurst and auth.addressesTrackedMax must be at least 1");
        Check.argument(
                tlsReloadCheckMs == 0 || tlsReloadCheckMs >= 100,
                "http.tls.reloadCheckMs must be 0 (off) or at least 100, got %d",
                tlsReloadCheckMs);
        Check.argument(httpConnectionsMax >= 1, "http.connectionsMax must be at least 1, got %d", httpConnectionsMax);
        Check.argument(httpIdleTimeoutS >= 1, "http.idleTimeoutS must be at least 1, got %d", httpIdleTimeoutS);
        Check.argument(
                httpRequestReadTimeoutMs >= 100,
                "http.requestReadTimeoutMs must be at least 100, got %d",
                httpRequestReadTimeoutMs);
        Check.argument(pgReadPoolSizeMax >= 1, "pg.readPoolSizeMax must be at least 1, got %d", pgReadPoolSizeMax);
        Check.argument(readsQueuedMax >= 0, "gateway.readsQueuedMax must be at least 0, got %d", readsQueuedMax);
        Check.argument(
                (tlsCertPath == null) == (tlsKeyPath == null),
                "http.tls.certPath and http.tls.keyPath go together: set both for TLS, or neither");
        Check.argument(
                drainReadinessGraceMs >= 0 && drainReadinessGraceMs < common.drainTimeoutMs() / 2,
                "shutdown.readinessGraceMs must be 0.. half of shutdown.drainTimeoutMs (%d), got %d",
                common.drainTimeoutMs(),
                drainReadinessGraceMs);
        // Below these a plain request (its path, Host, Authorization, Idempotency-Key) would not fit.
        Check.argument(
                httpRequestLineBytesMax >= 256,
                "http.requestLineBytesMax must be at least 256, got %d",
                httpRequestLineBytesMax);
        Check.argument(
                httpHeaderBytesMax >= 1024, "http.headerBytesMax must be at least 1024, got %d", httpHeaderBytesMax);
        Check.argument(
                httpHeadersCountMax >= 8, "http.headersCountMax must be at least 8, got %d", httpHeadersCountMax);
        Check.argument(
                managementPort >= 0 && managementPort <= 65_535,
                "management.port must be a port, or 0 for any free one, got %d",
                managementPort);
        Check.argument(
                httpConnectionsPerAddressMax >= 1,
                "http.connectionsPerAddressMax must be at least 1, got %d",
                httpConnectionsPerAddressMax);
        // Off loopback, API keys and card data would cross the network in clear text: TLS, or an
        // explicit statement that a TLS-terminating proxy stands in front (docs/API.md, TLS).
        Check.argument(
                tlsCertPath != null || httpPlaintext || Loopback.is(httpHost),
                "http.host=%s is not a loopback address and TLS is off: set http.tls.certPath and"
                        + " http.tls.keyPath, or http.plaintext=true when a TLS-terminating proxy stands in front",
                httpHost);
    }

    /** Health and metrics listen here, on {@code management.host} (loopback), unless told otherwise. */
    public static final int MANAGEMENT_PORT_DEFAULT = 9080;

    public static GatewayConfig from(Settings s) {
        return new GatewayConfig(
                CommonSettings.from(s, "gateway", 8),
                // Loopback unless told otherwise: off loopback the listener needs TLS or http.plaintext.
                s.string("http.host", "127.0.0.1"),
                s.integer("http.port", 8080),
                // Half the cores, 1 to 4: a lane's batch grows with the load (gateway.batchRecordsMax),
                // and each batch costs one PostgreSQL statement and one Kafka transaction whatever its
                // size, so fewer, fuller lanes cost less. On 2 cores, 1 lane measured 364 µs of CPU a
                // payment end to end against 453 µs with 2 (docs/BENCHMARKS.md, 2026-12-07).
                s.integer(
                        "gateway.producers",
                        Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2))),
                s.integer("gateway.batchRecordsMax", 500),
                s.integer("gateway.batchBytesMax", 1024 * 1024),
                s.integer("gateway.lingerMs", 2),
                s.integer("gateway.queueRecordsMax", 5_000),
                s.integer("gateway.transactionTimeoutMs", 10_000),
                s.integer("gateway.reservationTimeoutMs", 60_000),
                s.integer("gateway.retryAfterS", 1),
                s.integer("auth.cacheTtlMs", 5_000),
                s.integer("auth.cacheEntriesMax", 10_000),
                // Refused keys in their own cache: a flood of unknown keys cannot push tenants' keys out.
                s.integer("auth.refusedCacheEntriesMax", 10_000),
                // Per client address: key lookups and 401s. A client that mistypes its key retries well
                // within these; a flood gets 429 after its burst, before any lookup.
                s.integer("auth.failuresPerS", 10),
                s.integer("auth.failureBurst", 50),
                s.integer("auth.addressesTrackedMax", 10_000),
                TenantLimits.from(s),
                s.integer("http.connectionsMax", 1_024),
                s.integer("http.idleTimeoutS", 60),
                s.integer("http.requestReadTimeoutMs", 10_000),
                s.integer("pg.readPoolSizeMax", 2),
                s.integer("gateway.readsQueuedMax", 64),
                s.string("management.host", "127.0.0.1"),
                s.integer("management.port", MANAGEMENT_PORT_DEFAULT),
                s.string("http.tls.certPath", null),
                s.string("http.tls.keyPath", null),
                s.integer("shutdown.readinessGraceMs", 2_000),
                s.integer("http.requestLineBytesMax", 4_096),
                s.integer("http.headerBytesMax", 8_192),
                s.integer("http.headersCountMax", 64),
                s.bool("http.plaintext", false),
                s.integer("http.connectionsPerAddressMax", 512),
                OwnershipConfig.from(s),
                // How often the PEM files are checked for a renewed certificate (0: never).
                s.integer("http.tls.reloadCheckMs", 60_000),
                // Provider webhooks (issue 21 §2): off until a provider's secret is set.
                WebhookConfig.from(s));
    }

    /** Whether the API listener speaks TLS (PEM certificate chain and private key). */
    public boolean tls() {
        return tlsCertPath != null;
    }

    /** Whether the API listener is plaintext on an address other hosts can reach (a proxy's TLS in front). */
    public boolean plaintextOffLoopback() {
        return !tls() && !Loopback.is(httpHost);
    }

    /** Without the password: a record's own toString would print every component. */
    @Override
    public String toString() {
        return "GatewayConfig[instanceId=" + instanceId() + ", http=" + httpHost + ":" + httpPort + ", producers="
                + producers + ", pg.password " + (pgPassword() == null ? "unset" : "set") + "]";
    }

    public String bootstrapServers() {
        return String.valueOf(kafka().getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
    }
}
