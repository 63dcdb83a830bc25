package com.streamsocial.billing.gateway.limit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConnectionsPerAddressTest {
    @Test
    void capsEachAddressAloneAndForgetsClosedOnes() {
        ConnectionsPerAddress c = new ConnectionsPerAddress(2);
        assertThat(c.open("10.0.0.1")).isTrue();
        assertThat(c.open("10.0.0.1")).isTrue();
        assertThat(c.open("10.0.0.1")).as("third from one address").isFalse();
        assertThat(c.open("10.0.0.2")).as("another address has its own count").isTrue();
        // The refused one closes too, then one of the two: one more fits again.
        c.closed("10.0.0.1");
        c.closed("10.0.0.1");
        assertThat(c.open("10.0.0.1")).isTrue();
        c.closed("10.0.0.1");
        c.closed("10.0.0.1");
        c.closed("10.0.0.2");
        assertThat(c.addresses())
                .as("no entry left for addresses without connections")
                .isZero();
        c.closed("10.0.0.3"); // never opened: no entry appears
        assertThat(c.addresses()).isZero();
    }
}
