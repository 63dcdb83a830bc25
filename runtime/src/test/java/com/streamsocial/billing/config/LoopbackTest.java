package com.streamsocial.billing.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoopbackTest {
    @Test
    void loopbackAddressesAndNames() {
        assertThat(Loopback.is("127.0.0.1")).isTrue();
        assertThat(Loopback.is("127.1.2.3")).isTrue();
        assertThat(Loopback.is("::1")).isTrue();
        assertThat(Loopback.is("localhost")).isTrue();
    }

    @Test
    void wildcardOtherAddressesAndNonsenseAreNot() {
        assertThat(Loopback.is("0.0.0.0")).isFalse();
        assertThat(Loopback.is("::")).isFalse();
        assertThat(Loopback.is("10.0.0.7")).isFalse();
        assertThat(Loopback.is("192.168.1.1")).isFalse();
        assertThat(Loopback.is("")).isFalse();
        assertThat(Loopback.is(null)).isFalse();
        assertThat(Loopback.is("no-such-host.invalid")).isFalse();
    }
}
