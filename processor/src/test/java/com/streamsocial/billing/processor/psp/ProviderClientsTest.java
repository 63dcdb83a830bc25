package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.ext.web.client.WebClient;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderClientsTest {
    /** A stand-in client: only its identity matters here. */
    private static WebClient fake() {
        return (WebClient) Proxy.newProxyInstance(
                WebClient.class.getClassLoader(), new Class<?>[] {WebClient.class}, (p, m, a) -> null);
    }

    @Test
    void poolsHoldAtMost128ConnectionsAndAtLeastTheLimitInAll() {
        for (int inFlightMax : new int[] {1, 127, 128, 129, 256, 1000, 4096}) {
            List<Integer> sizes = new ArrayList<>();
            ProviderClients clients = ProviderClients.create(inFlightMax, size -> {
                sizes.add(size);
                return fake();
            });
            assertThat(clients.size()).as("pools for %d", inFlightMax).isEqualTo((inFlightMax + 127) / 128);
            assertThat(sizes).as("each pool for %d", inFlightMax).allMatch(s -> s >= 1 && s <= 128);
            int total = sizes.stream().mapToInt(Integer::intValue).sum();
            assertThat(total)
                    .as("connections in all for %d", inFlightMax)
                    .isBetween(inFlightMax, inFlightMax + sizes.size() - 1);
        }
    }

    @Test
    void callsTakeThePoolsInTurn() {
        ProviderClients clients = ProviderClients.create(4096, size -> fake());
        Map<WebClient, Integer> uses = new IdentityHashMap<>();
        for (int i = 0; i < 32 * 5; i++) {
            uses.merge(clients.next(), 1, Integer::sum);
        }
        assertThat(uses).hasSize(32);
        assertThat(uses.values()).containsOnly(5);
    }

    @Test
    void refusesNoConnections() {
        assertThatThrownBy(() -> ProviderClients.create(0, size -> fake()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
