package com.streamsocial.billing.processor.dedup;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.DecodeError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides, for one polled batch, which records to process, which outcomes to re-emit and which
 * records are duplicates or conflicts. Pure: it sees the records, the ids the ledger does not hold
 * (new payments), and the rows it holds.
 *
 * <p>The rule that keeps outcomes exactly-once: a stored row remembers the record (partition, offset)
 * that claimed it. Only that same record, replayed after a crash, may emit the row's outcome again;
 * any other record for the same payment is a duplicate and emits nothing, unless reconciliation
 * re-drove it to repair a missing outcome or a stuck payment.
 */
public final class BatchPlanner {
    private BatchPlanner() {}

    /** The first record of each payment id in the batch: the one whose claim counts. */
    public static List<InputRecord> claimCandidates(List<InputRecord> batch) {
        Set<String> seen = new HashSet<>();
        List<InputRecord> out = new ArrayList<>();
        for (InputRecord r : batch) {
            if (r.parsed() && seen.add(r.event().paymentId())) {
                out.add(r);
            }
        }
        return out;
    }

    public static Plan plan(List<InputRecord> batch, Set<String> newIds, Map<String, StoredPayment> existing) {
        List<InputRecord> toProcess = new ArrayList<>();
        List<StoredPayment> toReEmit = new ArrayList<>();
        List<InputRecord> duplicates = new ArrayList<>();
        List<Plan.Conflict> conflicts = new ArrayList<>();
        List<Plan.DeadLetter> deadLetters = new ArrayList<>();
        // The hash that owns each id in this batch: the stored one, or its first record's for a new one.
        Map<String, String> ownerHash = new HashMap<>();
        Set<String> decided = new HashSet<>();
        for (InputRecord r : batch) {
            if (!r.parsed()) {
                deadLetters.add(new Plan.DeadLetter(r, r.error()));
                continue;
            }
            String id = r.event().paymentId();
            String hash = r.event().requestHash();
            if (!decided.add(id)) {
                // A later record of an id this batch already decided.
                String owner = ownerHash.get(id);
                if (owner.equals(hash)) {
                    duplicates.add(r);
                } else {
                    conflicts.add(new Plan.Conflict(r, owner));
                }
                continue;
            }
            if (newIds.contains(id)) {
                ownerHash.put(id, hash);
                toProcess.add(r);
                continue;
            }
            StoredPayment stored = existing.get(id);
            if (stored == null) {
                // Neither new nor found: the ledger's answer did not cover this id. This record alone
                // cannot be planned; it must not stop the batch.
                decided.remove(id);
                deadLetters.add(new Plan.DeadLetter(
                        r,
                        new DecodeError(
                                DecodeError.Code.UNPLANNABLE,
                                "payment " + id + " was neither new nor found in the ledger")));
                continue;
            }
            ownerHash.put(id, stored.requestHash());
            if (!stored.requestHash().equals(hash)) {
                conflicts.add(new Plan.Conflict(r, stored.requestHash()));
            } else if (!stored.claimedBy(r) && !r.redrive()) {
                duplicates.add(r);
            } else if (stored.status().isFinal()) {
                toReEmit.add(stored);
            } else {
                toProcess.add(r);
            }
        }
        Plan plan = new Plan(toProcess, toReEmit, duplicates, conflicts, deadLetters);
        Check.state(plan.size() == batch.size(), "plan covers %d of %d records", plan.size(), batch.size());
        return plan;
    }
}
