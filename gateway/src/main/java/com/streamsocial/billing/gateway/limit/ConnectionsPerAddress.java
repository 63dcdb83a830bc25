package com.streamsocial.billing.gateway.limit;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client address, shared by the lanes, against {@code
 * http.connectionsPerAddressMax}: {@link #open} says whether one more is allowed, and every call to
 * it must be matched by one {@link #closed} (the connection's close handler). One entry per address
 * that has a connection open, removed at zero, so the map is bounded by the open connections.
 */
public final class ConnectionsPerAddress {
    private final int perAddressMax;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public ConnectionsPerAddress(int perAddressMax) {
        this.perAddressMax = perAddressMax;
    }

    /** Counts a new connection from {@code address}; false when it is over the cap (close it). */
    public boolean open(String address) {
        return open.merge(address, 1, Integer::sum) <= perAddressMax;
    }

    /** The connection counted by {@link #open} has closed. */
    public void closed(String address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** Addresses with a connection open: what the map holds. */
    public int addresses() {
        return open.size();
    }
}
