package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Idempotency-key claims for a batch of requests, the pure part: which keys one statement claims,
 * and what each request gets from what that statement found. Each request gets exactly what it
 * would have got alone, in batch order: a key claimed in this batch is, for every later request
 * under it in the same batch, a request still running (409, or 400 for other parameters).
 */
final class IdempotencyClaims {
    private IdempotencyClaims() {}

    /** One request's claim: its key and the hash of its parameters. */
    record Claim(String key, String requestHash) {}

    /**
     * A key's stored record as found before the batch's claim: {@code done} with the first answer,
     * or still in progress ({@code status} and {@code body} null).
     */
    record Stored(String requestHash, boolean done, Integer status, String body) {}

    enum Kind {
        /** The key is this request's: run it and store its answer. */
        CLAIMED,
        /** The first answer under the key, to replay. */
        REPLAY,
        /** Another request under the key is running: 409 {@code idempotency_key_in_use}. */
        IN_USE,
        /** The key was first used with other parameters: 400 {@code idempotency_error}. */
        MISMATCH
    }

    /** A request's outcome; {@code stored} is the replayed record for {@link Kind#REPLAY}, else null. */
    record Outcome(Kind kind, Stored stored) {
        static final Outcome CLAIMED = new Outcome(Kind.CLAIMED, null);
        static final Outcome IN_USE = new Outcome(Kind.IN_USE, null);
        static final Outcome MISMATCH = new Outcome(Kind.MISMATCH, null);
    }

    /**
     * The batch's distinct keys, each with its first request's hash, in first-seen order: what the
     * claim statement is given (a key at most once, as {@code ON CONFLICT DO UPDATE} requires).
     */
    static List<Claim> distinct(List<Claim> batch) {
        Map<String, Claim> first = new LinkedHashMap<>();
        for (Claim c : batch) {
            first.putIfAbsent(c.key(), c);
        }
        return new ArrayList<>(first.values());
    }

    /**
     * Each request's outcome, in batch order.
     *
     * @param claimed the keys the statement claimed (inserted, or took over once expired)
     * @param found the stored record of each key it did not claim; a key absent here vanished
     *     between the two (expired and taken by another writer), which is a request running: 409
     */
    static List<Outcome> outcomes(List<Claim> batch, Set<String> claimed, Map<String, Stored> found) {
        List<Outcome> out = new ArrayList<>(batch.size());
        Map<String, Stored> seen = new HashMap<>();
        for (Claim c : batch) {
            Stored earlier = seen.get(c.key());
            if (earlier == null && claimed.contains(c.key())) {
                // Later requests under this key see it as in progress with this request's parameters.
                seen.put(c.key(), new Stored(c.requestHash(), false, null, null));
                out.add(Outcome.CLAIMED);
                continue;
            }
            Stored s = earlier != null ? earlier : found.get(c.key());
            out.add(outcome(s, c.requestHash()));
        }
        Check.state(out.size() == batch.size(), "one outcome per request");
        return out;
    }

    /** What a request finds under a key it did not claim: the same rules as Stripe's, in this order. */
    static Outcome outcome(Stored s, String requestHash) {
        if (s == null) {
            return Outcome.IN_USE;
        }
        if (!requestHash.equals(s.requestHash())) {
            return Outcome.MISMATCH;
        }
        if (!s.done()) {
            return Outcome.IN_USE;
        }
        return new Outcome(Kind.REPLAY, s);
    }
}
