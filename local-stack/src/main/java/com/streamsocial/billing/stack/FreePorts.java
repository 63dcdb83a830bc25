package com.streamsocial.billing.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Picks free loopback ports for test instances, so that parallel runs never collide. The operating
 * system may hand the same ephemeral port out twice in a row once its socket is closed, so a port is
 * never returned twice in one JVM.
 */
public final class FreePorts {
    /** Attempts before giving up: the ephemeral range has thousands of ports. */
    private static final int ATTEMPTS_MAX = 100;

    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {}

    public static synchronized int pick() {
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (handedOut.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no fresh free port after " + ATTEMPTS_MAX + " attempts");
    }
}
