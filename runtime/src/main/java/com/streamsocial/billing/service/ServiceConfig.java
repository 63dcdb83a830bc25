package com.streamsocial.billing.service;

import io.vertx.pgclient.PgConnectOptions;
import java.util.Map;

/**
 * A service's configuration as the shared bootstrap reads it: its {@link CommonSettings}, with their
 * accessors written once here for both services' configuration records.
 */
public interface ServiceConfig {
    /** The settings every service reads alike. */
    CommonSettings common();

    default String instanceId() {
        return common().instanceId();
    }

    default String pgUri() {
        return common().pgUri();
    }

    default String pgPassword() {
        return common().pgPassword();
    }

    default int pgPoolSizeMax() {
        return common().pgPoolSizeMax();
    }

    default Map<String, Object> kafka() {
        return common().kafka();
    }

    default long drainTimeoutMs() {
        return common().drainTimeoutMs();
    }

    /** Trace export (off by default) and sampling: {@code tracing.*}. */
    default com.streamsocial.billing.tracing.TracingSettings tracing() {
        return common().tracing();
    }

    /** PostgreSQL: the URI, and the password from the environment or a file when one is set. */
    default PgConnectOptions pgConnect() {
        return common().pgConnect();
    }
}
