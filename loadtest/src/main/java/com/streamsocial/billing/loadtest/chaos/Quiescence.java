package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.processor.kafka.HangingTransactionWatchdog;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Whether the topics have come to rest, so that a read_committed reader sees all there is: every
 * partition of the given topics has its last stable offset (listOffsets latest, READ_COMMITTED) at its
 * high watermark (READ_UNCOMMITTED): no transaction is open or hanging there. With every billing event
 * already answered by its outcome (the settle wait), nothing more is to come. One {@link #check} is
 * one look; the caller repeats it up to its bound.
 */
final class Quiescence {
    private static final long ADMIN_TIMEOUT_MS = 10_000;

    private Quiescence() {}

    /** What keeps the pipeline from rest, one line per partition; empty when at rest. */
    static List<String> check(String bootstrap, List<String> topics) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS / 2);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS);
        List<String> out = new ArrayList<>();
        try (Admin admin = Admin.create(p)) {
            // listOffsets(latest) under READ_COMMITTED (the last stable offset) against READ_UNCOMMITTED.
            for (HangingTransactionWatchdog.Held h :
                    HangingTransactionWatchdog.heldPartitions(admin, topics, ADMIN_TIMEOUT_MS)) {
                out.add(String.format(
                        "%s: last stable offset %d below high watermark %d",
                        h.partition(), h.lastStableOffset(), h.highWatermark()));
            }
        }
        out.sort(null);
        return out;
    }
}
