package com.streamsocial.billing.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceLeaseTest {
    @Test
    void theKeyIsStableAndSeparatesRolesAndIds() {
        // Fixed: a changed derivation would let an old and a new build run as the same instance.
        assertThat(InstanceLease.key("gateway", "gateway-1")).isEqualTo(-9078147957200838434L);
        // Role and id are joined with a separator: moving a character across it is another key.
        assertThat(InstanceLease.key("gateway-", "1")).isNotEqualTo(InstanceLease.key("gateway", "-1"));
        assertThat(InstanceLease.key("gateway", "gateway-2")).isNotEqualTo(InstanceLease.key("gateway", "gateway-1"));
        assertThat(InstanceLease.key("processor", "gateway-1")).isNotEqualTo(InstanceLease.key("gateway", "gateway-1"));
    }

    @Test
    void theSessionIsGivenEveryKeepaliveSettingInOneSetup() {
        assertThat(InstanceLease.sessionSetup(InstanceLease.SESSION_SETTINGS))
                .isEqualTo("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;"
                        + " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 25000;");
    }

    @Test
    void theServersLapseFollowsTheLongerOfKeepalivesAndUserTimeout() {
        assertThat(InstanceLease.serverLapseMaxS(InstanceLease.SESSION_SETTINGS))
                .isEqualTo(25);
        Map<String, Integer> longTimeout = new LinkedHashMap<>(InstanceLease.SESSION_SETTINGS);
        longTimeout.put("tcp_user_timeout", 40_000);
        assertThat(InstanceLease.serverLapseMaxS(longTimeout)).isEqualTo(40);
        Map<String, Integer> moreProbes = new LinkedHashMap<>(InstanceLease.SESSION_SETTINGS);
        moreProbes.put("tcp_keepalives_count", 6);
        assertThat(InstanceLease.serverLapseMaxS(moreProbes)).isEqualTo(40);
    }

    /**
     * A holder whose checks stop being answered (its network died): the state machine declares the
     * lease LOST before a server with the session's settings could end the session and hand the
     * lock to another process, with the heartbeat's own delay added.
     */
    @Test
    void aHolderCutOffStopsBeforeTheServerLetsAnotherTakeTheLock() {
        LeaseCheck check = new LeaseCheck(0);
        long lostAtMs = -1;
        for (long now = 0; now <= 60_000 && lostAtMs < 0; now += InstanceLease.HEARTBEAT_INTERVAL_MS) {
            if (check.unanswered("no answer", now) == LeaseCheck.State.LOST) {
                lostAtMs = now;
            }
        }
        long serverLapseMs = InstanceLease.serverLapseMaxS(InstanceLease.SESSION_SETTINGS) * 1_000L;
        assertThat(lostAtMs).isPositive().isLessThan(serverLapseMs - InstanceLease.HEARTBEAT_INTERVAL_MS);
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
