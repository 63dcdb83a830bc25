package com.streamsocial.billing.lease;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InstanceLeaseTest {
    @Test
    void theKeyIsStableAndSeparatesRolesAndIds() {
        // Fixed: a changed derivation would let an old and a new build run as the same instance.
        assertThat(InstanceLease.key("gateway", "gateway-1")).isEqualTo(-9078147957200838434L);
        assertThat(InstanceLease.key("gateway", "gateway-1")).isEqualTo(InstanceLease.key("gateway", "gateway-1"));
        assertThat(InstanceLease.key("gateway", "gateway-2")).isNotEqualTo(InstanceLease.key("gateway", "gateway-1"));
        assertThat(InstanceLease.key("processor", "gateway-1")).isNotEqualTo(InstanceLease.key("gateway", "gateway-1"));
    }

    @Test
    void theServerLetsGoOfADeadHostsLeaseOnlyAfterItsHolderHasStopped() {
        long holderStopsWithinMs = InstanceLease.HEARTBEAT_INTERVAL_MS + InstanceLease.HEARTBEAT_TIMEOUT_MS;
        assertThat(holderStopsWithinMs).isLessThan(InstanceLease.SERVER_LAPSE_MAX_S * 1_000L);
    }

    @Test
    void aRefusalNamesTheIdAndIsFoundAmongCauses() {
        LeaseHeldException held = new LeaseHeldException("gateway.instanceId=gateway-1", "'billing gateway pid 7@h'");
        assertThat(held.getMessage())
                .startsWith("gateway.instanceId=gateway-1 is held by another live process: 'billing gateway pid 7@h'");
        assertThat(LeaseHeldException.in(new RuntimeException(held))).isSameAs(held);
        assertThat(LeaseHeldException.in(new RuntimeException("other"))).isNull();
    }
}
