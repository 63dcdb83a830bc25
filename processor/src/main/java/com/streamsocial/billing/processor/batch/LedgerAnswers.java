package com.streamsocial.billing.processor.batch;

import com.streamsocial.billing.events.PaymentStatus;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.psp.PaymentProvider.Verdict;
import com.streamsocial.billing.processor.store.LedgerStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The provider's answers in the ledger's terms, on the orchestrator's side, so that the ledger knows
 * no provider: a final answer is an outcome, any other an open charge with why it is not final (a
 * mismatch says so: it is a break to reconcile).
 */
public final class LedgerAnswers {
    private LedgerAnswers() {}

    /** Each answer, in order, as the ledger records it. */
    public static List<LedgerStore.Answer> of(List<ChargeResult> results) {
        List<LedgerStore.Answer> out = new ArrayList<>(results.size());
        for (ChargeResult r : results) {
            out.add(of(r));
        }
        return out;
    }

    static LedgerStore.Answer of(ChargeResult r) {
        if (r.verdict().isFinal()) {
            return new LedgerStore.Outcome(
                    r.paymentId(),
                    r.succeeded() ? PaymentStatus.SUCCEEDED : PaymentStatus.FAILED,
                    r.providerRef(),
                    r.failureCode(),
                    r.intentId());
        }
        return new LedgerStore.Open(
                r.paymentId(), r.intentId(), r.verdict() == Verdict.MISMATCH ? "mismatch: " + r.detail() : r.detail());
    }
}
