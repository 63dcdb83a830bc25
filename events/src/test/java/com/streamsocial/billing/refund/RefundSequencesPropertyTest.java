package com.streamsocial.billing.refund;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.refund.RefundDecision.PaymentState;
import com.streamsocial.billing.refund.RefundPlanner.Account;
import com.streamsocial.billing.refund.RefundPlanner.Refund;
import com.streamsocial.billing.refund.RefundPlanner.Refuse;
import com.streamsocial.billing.refund.RefundPlanner.Request;
import com.streamsocial.billing.refund.RefundPlanner.Resume;
import com.streamsocial.billing.refund.RefundPlanner.Step;
import com.streamsocial.billing.refund.RefundPlanner.Stored;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of refund requests through a model of the pipeline: the gateway's decision (with
 * lost intents: a crash between its Kafka and PostgreSQL commits), the processor's planner over
 * batches (with batches read again: a crash between its PostgreSQL and Kafka commits) and a provider
 * that deduplicates by our key, answers "unknown" at times and, unlike the real ones, never refuses
 * an amount: so only our code keeps 0 <= refunded <= captured. Plain JUnit over seeded
 * {@link Random}s (jqwik is not used: its maintainer forbids use by AI agents).
 */
class RefundSequencesPropertyTest {
    private static final int SEEDS = 400;
    private static final int OPERATIONS_PER_SEED = 300;
    private static final int PAYMENTS_MAX = 4;
    private static final int KEYS_MAX = 12;

    record Pay(String id, PaymentState state, long captured) {}

    record Intent(String paymentId, String hash, long amount) {}

    record Effect(String refundId, String paymentId, long amount) {}

    /** One run: its own payments, gateway intents, topic, ledger and provider. */
    static final class World {
        final Random rnd;
        final Map<String, Pay> payments = new LinkedHashMap<>();
        final Map<String, Intent> intents = new HashMap<>();
        final List<Request> topic = new ArrayList<>();
        int consumed;
        final Map<String, Stored> ledger = new HashMap<>();
        /** The provider's refunds by idempotency key, and the order they were made in. */
        final Map<String, Effect> providerByKey = new HashMap<>();

        final List<Effect> providerEffects = new ArrayList<>();
        double unknownRate = 0.2;

        World(long seed) {
            rnd = new Random(seed);
            int n = 1 + rnd.nextInt(PAYMENTS_MAX);
            for (int i = 0; i < n; i++) {
                int roll = rnd.nextInt(10);
                PaymentState s =
                        roll < 8 ? PaymentState.SUCCEEDED : roll == 8 ? PaymentState.PENDING : PaymentState.FAILED;
                String id = PaymentIds.paymentId("t", "pay-" + seed + "-" + i);
                payments.put(id, new Pay(id, s, 1 + rnd.nextInt(5_000)));
            }
        }

        void request() {
            String key = "k" + rnd.nextInt(KEYS_MAX);
            String refundId = RefundIds.refundId("t", key);
            List<String> ids = new ArrayList<>(payments.keySet());
            String paymentId = ids.get(rnd.nextInt(ids.size()));
            OptionalLong amount = rnd.nextInt(4) == 0 ? OptionalLong.empty() : OptionalLong.of(1 + rnd.nextInt(2_500));
            String hash = PaymentIds.fingerprint(paymentId + "|" + (amount.isPresent() ? amount.getAsLong() : "rest"));
            if (intents.containsKey(refundId)) {
                return; // a replay (same hash) or a 422 conflict: nothing published either way
            }
            Pay p = payments.get(paymentId);
            long held = 0;
            for (Map.Entry<String, Intent> e : intents.entrySet()) {
                Stored s = ledger.get(e.getKey());
                boolean failed = s != null && s.state() == RefundState.FAILED;
                held += e.getValue().paymentId().equals(paymentId) && !failed
                        ? e.getValue().amount()
                        : 0;
            }
            RefundDecision.Outcome o =
                    RefundDecision.decide(new RefundDecision.Payment(p.state(), p.captured(), held), amount);
            if (o instanceof RefundDecision.Accept a) {
                topic.add(new Request(refundId, paymentId, hash, a.amountMinor(), 0, topic.size()));
                if (rnd.nextInt(10) != 0) { // else: the gateway died after Kafka, before PostgreSQL committed
                    intents.put(refundId, new Intent(paymentId, hash, a.amountMinor()));
                }
            }
        }

        void processBatch() {
            if (consumed == topic.size()) {
                return;
            }
            int end = Math.min(topic.size(), consumed + 1 + rnd.nextInt(8));
            List<Request> batch = topic.subList(consumed, end);
            Map<String, Account> accounts = new HashMap<>();
            for (Request r : batch) {
                Pay p = payments.get(r.paymentId());
                List<Stored> stored = ledger.values().stream()
                        .filter(s -> s.paymentId().equals(p.id()))
                        .toList();
                accounts.put(p.id(), new Account(p.id(), p.state(), p.captured(), stored));
            }
            List<Stored> known = batch.stream()
                    .map(r -> ledger.get(r.refundId()))
                    .filter(s -> s != null)
                    .toList();
            boolean undecided = false;
            for (Step step : RefundPlanner.plan(batch, accounts, known)) {
                undecided |= apply(step);
            }
            boolean lostKafkaCommit = rnd.nextInt(7) == 0;
            if (!undecided && !lostKafkaCommit) {
                consumed = end;
            }
        }

        /** Applies one step to the ledger and the provider; true when the provider's answer is unknown. */
        private boolean apply(Step step) {
            if (step instanceof Refund r) {
                Request q = r.request();
                RefundState.PENDING.transitionTo(RefundState.REFUNDING);
                Stored claimed = new Stored(
                        q.refundId(),
                        q.paymentId(),
                        q.requestHash(),
                        q.amountMinor(),
                        RefundState.REFUNDING,
                        q.partition(),
                        q.offset());
                ledger.put(q.refundId(), claimed);
                return call(claimed);
            }
            if (step instanceof Resume r) {
                return call(r.stored());
            }
            if (step instanceof Refuse r) {
                Request q = r.request();
                RefundState.PENDING.transitionTo(RefundState.FAILED);
                ledger.put(
                        q.refundId(),
                        new Stored(
                                q.refundId(),
                                q.paymentId(),
                                q.requestHash(),
                                q.amountMinor(),
                                RefundState.FAILED,
                                q.partition(),
                                q.offset()));
            }
            return false;
        }

        private boolean call(Stored s) {
            String key = RefundIds.providerKey(s.refundId());
            boolean unknown = rnd.nextDouble() < unknownRate;
            if (!unknown || rnd.nextBoolean()) { // an unknown answer may still have refunded
                providerByKey.computeIfAbsent(key, k -> {
                    Effect e = new Effect(s.refundId(), s.paymentId(), s.amountMinor());
                    providerEffects.add(e);
                    return e;
                });
            }
            if (unknown) {
                return true;
            }
            ledger.put(
                    s.refundId(),
                    new Stored(
                            s.refundId(),
                            s.paymentId(),
                            s.requestHash(),
                            s.amountMinor(),
                            s.state().transitionTo(RefundState.SUCCEEDED),
                            s.partition(),
                            s.offset()));
            return false;
        }

        void checkInvariants(long seed) {
            for (Pay p : payments.values()) {
                long ledgerRefunded = ledger.values().stream()
                        .filter(s -> s.paymentId().equals(p.id()) && s.state() == RefundState.SUCCEEDED)
                        .mapToLong(Stored::amountMinor)
                        .sum();
                long providerRefunded = providerEffects.stream()
                        .filter(e -> e.paymentId().equals(p.id()))
                        .mapToLong(Effect::amount)
                        .sum();
                assertThat(ledgerRefunded)
                        .as("seed %d: ledger refunded of %s", seed, p)
                        .isBetween(0L, p.captured());
                assertThat(providerRefunded)
                        .as("seed %d: provider refunded of %s", seed, p)
                        .isBetween(0L, p.captured());
                if (p.state() != PaymentState.SUCCEEDED) {
                    assertThat(providerRefunded)
                            .as("seed %d: refunded a payment not succeeded", seed)
                            .isZero();
                }
            }
            Map<String, Long> perRefund = new HashMap<>();
            for (Effect e : providerEffects) {
                perRefund.merge(e.refundId(), 1L, Long::sum);
            }
            assertThat(perRefund.values())
                    .as("seed %d: provider refunds per refund id", seed)
                    .allMatch(n -> n == 1);
        }
    }

    @Test
    void refundedStaysWithinCapturedAndTheProviderRefundsEachRefundIdOnce() {
        long refundsMade = 0;
        long refusalsSeen = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            World w = new World(seed);
            for (int op = 0; op < OPERATIONS_PER_SEED; op++) {
                if (w.rnd.nextInt(3) == 0) {
                    w.processBatch();
                } else {
                    w.request();
                }
                w.checkInvariants(seed);
            }
            w.unknownRate = 0;
            for (int drain = 0; drain < 10_000 && w.consumed < w.topic.size(); drain++) {
                w.processBatch();
            }
            assertThat(w.consumed).as("seed %d drained", seed).isEqualTo(w.topic.size());
            w.checkInvariants(seed);
            // every refund the provider made is a succeeded ledger refund, and the other way round
            for (Effect e : w.providerEffects) {
                assertThat(w.ledger.get(e.refundId()).state())
                        .as("seed %d: %s", seed, e)
                        .isEqualTo(RefundState.SUCCEEDED);
            }
            assertThat(w.ledger.values())
                    .as("seed %d: undecided after the drain", seed)
                    .noneMatch(s -> s.state() == RefundState.REFUNDING);
            long succeeded = w.ledger.values().stream()
                    .filter(s -> s.state() == RefundState.SUCCEEDED)
                    .count();
            assertThat(succeeded).as("seed %d", seed).isEqualTo(w.providerEffects.size());
            refundsMade += w.providerEffects.size();
            refusalsSeen += w.ledger.values().stream()
                    .filter(s -> s.state() == RefundState.FAILED)
                    .count();
        }
        // the sequences reach both sides of the rule: many refunds made, and some refused by the processor
        assertThat(refundsMade).isGreaterThan(SEEDS);
        assertThat(refusalsSeen).isPositive();
    }
}
