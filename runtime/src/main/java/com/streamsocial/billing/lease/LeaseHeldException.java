package com.streamsocial.billing.lease;

/** A start refused: another live process holds this instance id. The message names the id and the holder. */
public final class LeaseHeldException extends RuntimeException {
    private final String lease;

    public LeaseHeldException(String lease, String holder) {
        super(lease + " is held by another live process: " + holder
                + "; give this process its own id, or stop the other one first");
        this.lease = lease;
    }

    /** The refusal in {@code e} or its causes, or null. */
    public static LeaseHeldException in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LeaseHeldException held) {
                return held;
            }
        }
        return null;
    }

    /** {@code gateway.instanceId=gateway-1}. */
    public String lease() {
        return lease;
    }
}
