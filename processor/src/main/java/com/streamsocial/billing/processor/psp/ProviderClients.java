package com.streamsocial.billing.processor.psp;

import com.streamsocial.billing.events.Check;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The provider's HTTP clients: one pool per {@link #POOL_CONNECTIONS_MAX} connections, taken in turn.
 * Why several: Vert.x's HTTP/1.1 pool picks a connection by scanning every connection it holds, on
 * every request, so one pool of 2,000 connections (a 100-300 ms provider at 2,000 payments a
 * second) spent 14 % of the event loops' samples in that scan (docs/BENCHMARKS.md, 2026-12-07).
 * Shards of at most 128 keep each scan short; the total stays within {@code provider.inFlightMax}.
 */
public final class ProviderClients {
    /** Connections of one pool at most: the length of the pool's scan per request. */
    public static final int POOL_CONNECTIONS_MAX = 128;

    private final List<WebClient> shards;
    private final AtomicInteger next = new AtomicInteger();

    private ProviderClients(List<WebClient> shards) {
        this.shards = List.copyOf(shards);
    }

    /**
     * {@code ceil(inFlightMax / 128)} clients, each made by {@code create} with its pool's size; the
     * sizes sum to at least {@code inFlightMax} and at most one shard's rounding more.
     */
    public static ProviderClients create(int inFlightMax, IntFunction<WebClient> create) {
        Check.argument(inFlightMax >= 1, "inFlightMax must be at least 1, got %d", inFlightMax);
        int count = shardCount(inFlightMax);
        int poolSizeMax = (inFlightMax + count - 1) / count;
        WebClient[] clients = new WebClient[count];
        for (int i = 0; i < count; i++) {
            clients[i] = create.apply(poolSizeMax);
        }
        return new ProviderClients(List.of(clients));
    }

    /** How many pools {@code inFlightMax} connections take. */
    static int shardCount(int inFlightMax) {
        return (inFlightMax + POOL_CONNECTIONS_MAX - 1) / POOL_CONNECTIONS_MAX;
    }

    /** The client for the next call: the shards in turn, so that their pools fill evenly. */
    public WebClient next() {
        return shards.get(Math.floorMod(next.getAndIncrement(), shards.size()));
    }

    /** How many clients there are (for tests and the health detail). */
    public int size() {
        return shards.size();
    }
}
