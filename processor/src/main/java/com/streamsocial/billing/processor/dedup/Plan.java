package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.events.DecodeError;
import java.util.List;

/**
 * What to do with each record of a polled batch. Every record lands in exactly one list, so the
 * batch's offsets can be committed once the plan is carried out.
 */
public record Plan(
        /** Claimed by this batch, or claimed by this same record earlier but never finished: charge. */
        List<InputRecord> toProcess,
        /** This same record was processed before and its outcome stored: re-emit it, do not re-process. */
        List<StoredPayment> toReEmit,
        /** Another record of the same request that was already claimed: no second outcome. */
        List<InputRecord> duplicates,
        /** The same (tenant, key) with a different request: recorded as a conflict, no outcome. */
        List<Conflict> conflicts,
        /** Cannot be processed (not a valid event, or not plannable): to the dead-letter topic. */
        List<DeadLetter> deadLetters) {

    public record Conflict(InputRecord record, String storedHash) {}

    public record DeadLetter(InputRecord record, DecodeError error) {}

    public int size() {
        return toProcess.size() + toReEmit.size() + duplicates.size() + conflicts.size() + deadLetters.size();
    }
}
