package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CustomerIdsTest {
    @Test
    void twoTenantsNeverShareACustomerAndTheIdsHoldNoLongDigitRun() {
        assertThat(CustomerIds.of("default", 7)).isEqualTo(CustomerIds.of("default", 7));
        assertThat(CustomerIds.of("default", 7)).isNotEqualTo(CustomerIds.of("tenant-b", 7));
        assertThat(CustomerIds.of("default", 7)).isNotEqualTo(CustomerIds.of("default", 8));
        assertThat(CustomerIds.of("default", 999)).matches("cus_[a-z]{7}_999");
    }
}
