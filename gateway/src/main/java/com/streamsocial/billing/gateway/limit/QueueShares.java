package com.streamsocial.billing.gateway.limit;

import java.util.HashMap;
import java.util.Map;

/**
 * Each tenant's fair share of one lane's queue. With {@code n} tenants holding records in the queue
 * (the asking tenant counted), a tenant may hold at most {@code queueRecordsMax / (n + 1)} of them,
 * but never fewer than {@code floorRecords} (one batch). Tenants within their share therefore leave
 * at least {@code queueRecordsMax / (n + 1)} places free for a tenant not yet queueing: a flooding
 * tenant fills its share, gets {@code 429}, and never the whole queue (whose overflow is the
 * {@code 503} every tenant would see). When the floor is the whole queue (a queue of one batch),
 * shares restrict nothing and the queue's own bound applies. Not thread-safe: one lane's event loop
 * owns it.
 */
public final class QueueShares {
    private final int queueRecordsMax;
    private final int floorRecords;
    private final Map<String, Integer> queuedByTenant = new HashMap<>();

    public QueueShares(int queueRecordsMax, int floorRecords) {
        if (queueRecordsMax < 1 || floorRecords < 1) {
            throw new IllegalArgumentException("queueRecordsMax and floorRecords must be at least 1, got "
                    + queueRecordsMax + ", " + floorRecords);
        }
        this.queueRecordsMax = queueRecordsMax;
        this.floorRecords = Math.min(floorRecords, queueRecordsMax);
    }

    /** Whether {@code tenant} may queue one more record now; if so, it is counted until {@link #left}. */
    public boolean tryEnter(String tenant) {
        int held = queuedByTenant.getOrDefault(tenant, 0);
        int share = shareRecords(tenant);
        // A share of the whole queue (a floor of one batch as large as the queue) restricts nothing:
        // the queue's own bound answers then (503 queue_full), as without shares.
        if (held >= share && share < queueRecordsMax) {
            return false;
        }
        queuedByTenant.put(tenant, held + 1);
        return true;
    }

    /** One of {@code tenant}'s records left the queue (drained into a batch, or never queued after all). */
    public void left(String tenant) {
        Integer held = queuedByTenant.get(tenant);
        if (held == null) {
            throw new IllegalStateException("no record of this tenant is counted in the queue");
        }
        if (held == 1) {
            queuedByTenant.remove(tenant);
        } else {
            queuedByTenant.put(tenant, held - 1);
        }
    }

    /** The most records {@code tenant} may hold in the queue now. */
    public int shareRecords(String tenant) {
        int tenantsQueueing = queuedByTenant.size() + (queuedByTenant.containsKey(tenant) ? 0 : 1);
        return Math.max(floorRecords, queueRecordsMax / (tenantsQueueing + 1));
    }

    public int queuedRecords(String tenant) {
        return queuedByTenant.getOrDefault(tenant, 0);
    }

    public int tenantsQueueing() {
        return queuedByTenant.size();
    }
}
