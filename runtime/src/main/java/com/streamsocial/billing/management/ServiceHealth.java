package com.streamsocial.billing.management;

import io.vertx.core.json.JsonObject;

/**
 * What a service's health says, as the management listener serves it: liveness with {@code "status"}
 * {@code UP} or {@code DOWN}, readiness with {@code "ready"} true or false, each with its detail.
 * Both are read from the last probes, so an answer never waits on a dependency.
 */
public interface ServiceHealth {
    /** {@code {"status": "UP" | "DOWN", ...}}: down only when a restart would help. */
    JsonObject liveness();

    /** {@code {"ready": true | false, ...}}: false while a dependency is down, and once draining. */
    JsonObject readiness();
}
