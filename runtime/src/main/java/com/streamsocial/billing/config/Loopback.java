package com.streamsocial.billing.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Whether a listener's host setting binds only to loopback: {@code 127.0.0.0/8}, {@code ::1} or a name
 * resolving to them. The wildcard ({@code 0.0.0.0}, {@code ::}), any other address, and a name that
 * does not resolve are not loopback. Total: never throws.
 */
public final class Loopback {
    private Loopback() {}

    /** True only for an address every other host is shut out of; resolves a name (call it at start). */
    public static boolean is(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        try {
            // Every address the name stands for must be loopback: a name mapped to both is not.
            InetAddress[] all = InetAddress.getAllByName(host.trim());
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException | SecurityException e) {
            return false;
        }
    }
}
