package com.streamsocial.billing.service;

import com.streamsocial.billing.lease.InstanceLease;
import io.vertx.core.Future;

/**
 * A deployed service as the shared bootstrap handles it: it holds an instance lease, and without it
 * may be a zombie, so a lost lease closes it ({@link ServiceStart}) and exits its process ({@link ServiceMain}).
 */
public interface RunningService {
    /** The instance lease it holds while it runs. */
    InstanceLease lease();

    /** Stops serving, then lets the lease go, so that a successor never overlaps with this one. */
    Future<Void> close();
}
