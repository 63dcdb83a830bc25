package com.streamsocial.billing.gateway.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.config.Settings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OwnershipTest {
    private static final OwnershipConfig CONFIG = new OwnershipConfig(true, 3, List.of("pm_card_"));

    @Test
    void unknownIdsAreClaimedAndSharedTokensNever() {
        Ownership o = new Ownership(CONFIG, new OwnerCache(3));
        assertThat(o.claims("a", "cus_1", "pm_1")).isEqualTo(new Ownership.Claims("cus_1", "pm_1", false));
        assertThat(o.claims("a", "cus_1", "pm_card_visa")).isEqualTo(new Ownership.Claims("cus_1", null, false));
    }

    @Test
    void theOwnersAnsweredDecideAndAreCached() {
        Ownership o = new Ownership(CONFIG, new OwnerCache(3));
        Ownership.Claims c = o.claims("a", "cus_1", "pm_1");
        assertThat(o.owned("a", c, "a", "a")).isTrue();
        // Known now: nothing left to claim for a, and b is refused before any statement.
        assertThat(o.claims("a", "cus_1", "pm_1")).isEqualTo(new Ownership.Claims(null, null, false));
        assertThat(o.claims("b", "cus_1", "pm_other").refusedEarly()).isTrue();
        assertThat(o.claims("b", "cus_other", "pm_1").refusedEarly()).isTrue();
        assertThat(o.owned("b", o.claims("b", "cus_1", "pm_2"), null, null)).isFalse();
    }

    @Test
    void anotherOwnerOrNoneIsRefused() {
        Ownership o = new Ownership(CONFIG, new OwnerCache(3));
        assertThat(o.owned("a", o.claims("a", "cus_2", "pm_card_visa"), "b", null))
                .isFalse();
        assertThat(o.owned("a", o.claims("a", "cus_3", "pm_3"), "a", "b")).isFalse();
        // First use off: an unregistered id has no owner, and is refused.
        assertThat(o.owned("a", o.claims("a", "cus_4", "pm_card_visa"), null, null))
                .isFalse();
    }

    @Test
    void theCacheKeepsAtMostItsBoundAndKindsApart() {
        OwnerCache cache = new OwnerCache(2);
        cache.put(OwnedKind.CUSTOMER, "x", "a");
        cache.put(OwnedKind.PAYMENT_METHOD, "x", "b");
        assertThat(cache.owner(OwnedKind.CUSTOMER, "x")).isEqualTo("a");
        assertThat(cache.owner(OwnedKind.PAYMENT_METHOD, "x")).isEqualTo("b");
        cache.put(OwnedKind.CUSTOMER, "y", "a");
        assertThat(cache.size()).isEqualTo(2);
        // The least recently used (the customer x, read before the payment method x) went.
        assertThat(cache.owner(OwnedKind.CUSTOMER, "x")).isNull();
        assertThat(cache.owner(OwnedKind.PAYMENT_METHOD, "x")).isEqualTo("b");
    }

    /**
     * Issue 19 §1: trust on first use lets a tenant that learns another's ids claim them by paying
     * first, so production (no dev.mode) registers only through POST /v1/customers; the local stack,
     * tests and chaos (dev.mode=true) keep first use; an explicit setting wins either way.
     */
    @Test
    void firstUseIsOffUnlessDevModeOrSetExplicitly() {
        OwnershipConfig production = OwnershipConfig.from(Settings.of(Map.of()));
        assertThat(production.firstUse()).isFalse();
        assertThat(production.devModes()).isEmpty();
        assertThat(OwnershipConfig.from(Settings.of(Map.of("dev.mode", "false")))
                        .firstUse())
                .isFalse();

        OwnershipConfig dev = OwnershipConfig.from(Settings.of(Map.of("dev.mode", "true")));
        assertThat(dev.firstUse()).isTrue();
        assertThat(dev.devModes())
                .singleElement()
                .asString()
                .startsWith("gateway.ownership.firstUse=true (trust on first use");

        OwnershipConfig explicit = OwnershipConfig.from(Settings.of(Map.of(OwnershipConfig.FIRST_USE, "true")));
        assertThat(explicit.firstUse()).isTrue();
        assertThat(explicit.devModes()).hasSize(1);
        assertThat(OwnershipConfig.from(Settings.of(Map.of("dev.mode", "true", OwnershipConfig.FIRST_USE, "false")))
                        .firstUse())
                .isFalse();
    }

    @Test
    void settingsAndTheirChecks() {
        OwnershipConfig d = OwnershipConfig.from(Settings.of(Map.of()));
        assertThat(d.firstUse()).isFalse();
        assertThat(d.cacheEntriesMax()).isEqualTo(OwnershipConfig.CACHE_ENTRIES_MAX_DEFAULT);
        assertThat(d.shared("pm_card_visa")).isTrue();
        assertThat(d.shared("pm_sandbox_processing")).isTrue();
        assertThat(d.shared("pm_1MqLiJ")).isFalse();
        OwnershipConfig none = OwnershipConfig.from(
                Settings.of(Map.of(OwnershipConfig.SHARED_PREFIXES, "none", OwnershipConfig.FIRST_USE, "false")));
        assertThat(none.shared("pm_card_visa")).isFalse();
        assertThat(none.firstUse()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> OwnershipConfig.from(Settings.of(Map.of(OwnershipConfig.SHARED_PREFIXES, "pm_card_,pm"))))
                .hasMessageContaining("at least 4 characters");
    }
}
