package com.streamsocial.billing.gateway;

import com.streamsocial.billing.contract.Check;
import com.streamsocial.billing.contract.Settings;
import java.util.Map;

/**
 * The gateway's settings, each with its unit in its name. Read from {@link Settings}: for example
 * {@code -Dgateway.lingerMs=2} or {@code BILLING_GATEWAY_LINGERMS=2}.
 */
public record GatewayConfig(
        String httpHost,
        int httpPort,
        String instanceId,
        String tenant,
        int producers,
        int batchRecordsMax,
        int batchBytesMax,
        long lingerMs,
        int queueRecordsMax,
        int transactionTimeoutMs,
        long reservationTimeoutMs,
        int retryAfterS,
        String pgUri,
        int pgPoolSizeMax,
        Map<String, Object> kafka) {

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
        kafka = Map.copyOf(kafka);
    }

    public static GatewayConfig from(Settings s) {
        return new GatewayConfig(
                s.string("http.host", "0.0.0.0"),
                s.integer("http.port", 8080),
                s.string("gateway.instanceId", "gateway-1"),
                "default",
                s.integer(
                        "gateway.producers",
                        Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()))),
                s.integer("gateway.batchRecordsMax", 500),
                s.integer("gateway.batchBytesMax", 1024 * 1024),
                s.integer("gateway.lingerMs", 2),
                s.integer("gateway.queueRecordsMax", 5_000),
                s.integer("gateway.transactionTimeoutMs", 10_000),
                s.integer("gateway.reservationTimeoutMs", 60_000),
                s.integer("gateway.retryAfterS", 1),
                s.string("pg.uri", "postgresql://postgres@127.0.0.1:5433/postgres"),
                s.integer("pg.poolSizeMax", 8),
                s.kafka());
    }

    public String bootstrapServers() {
        return String.valueOf(kafka.getOrDefault("bootstrap.servers", "127.0.0.1:9092"));
    }
}
