package com.streamsocial.billing.stack;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks free loopback ports for test instances, below the kernel's ephemeral range. A port from
 * that range (what binding port 0 returns) can be taken between the pick and the bind by any
 * outgoing connection: a clean-clone CI run lost a stack restart that way (its gateway port was in
 * use when the stack bound it). Ports below the range are only ever taken by an explicit bind. A
 * port is never returned twice in one JVM.
 */
public final class FreePorts {
    /** Attempts before giving up: the range below the ephemeral ports has thousands of ports. */
    private static final int ATTEMPTS_MAX = 1_000;

    /** The lowest port handed out: above the registered services most machines run. */
    static final int PORT_MIN = 20_000;

    /** Linux's default ephemeral range starts here; used when the kernel's setting is unreadable. */
    private static final int EPHEMERAL_LOW_DEFAULT = 32_768;

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {}

    public static synchronized int pick() {
        int high = ephemeralLow();
        if (high - PORT_MIN < 1_000) {
            throw new IllegalStateException("ephemeral ports start at " + high + ": too few ports below");
        }
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(PORT_MIN, high);
            if (!handedOut.contains(port) && bindable(port)) {
                handedOut.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free port below " + high + " after " + ATTEMPTS_MAX + " attempts");
    }

    /** Free on the loopback address and on every address (services may bind 0.0.0.0). */
    private static boolean bindable(int port) {
        return bindable(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                && bindable(new InetSocketAddress(port));
    }

    private static boolean bindable(InetSocketAddress address) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(address, 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int ephemeralLow() {
        // A reader, not Files.readString: /proc reports a size of 0 and a sized read came back cut.
        try (BufferedReader r = Files.newBufferedReader(EPHEMERAL_RANGE)) {
            String line = r.readLine();
            return line == null
                    ? EPHEMERAL_LOW_DEFAULT
                    : Integer.parseInt(line.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return EPHEMERAL_LOW_DEFAULT;
        }
    }
}
