package com.streamsocial.billing.kafka;

import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Sorts transactional producer errors into the KIP-1050 classes: what the application does next
 * depends only on the class, never on parsing messages.
 */
public final class ProducerErrors {
    private ProducerErrors() {}

    public enum Action {
        /** Abort the transaction and go on with the same producer. */
        ABORT,
        /** Fenced or epoch error: this producer instance is dead; create a new one. */
        RECREATE,
        /** Configuration or authorisation: retrying cannot help; fail readiness. */
        FATAL
    }

    public static Action classify(Throwable e) {
        Throwable t = unwrap(e);
        if (t instanceof ProducerFencedException
                || t instanceof InvalidProducerEpochException
                || t instanceof ApplicationRecoverableException) {
            return Action.RECREATE;
        }
        if (t instanceof AuthenticationException
                || t instanceof AuthorizationException
                || t instanceof UnsupportedVersionException
                || t instanceof InvalidConfigurationException) {
            return Action.FATAL;
        }
        return Action.ABORT;
    }

    /** A commit that timed out may still complete: its outcome is unknown until the producer is re-initialised. */
    public static boolean outcomeUnknown(Throwable e) {
        return unwrap(e) instanceof TimeoutException;
    }

    public static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.ExecutionException
                        || t instanceof java.util.concurrent.CompletionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
