package com.streamsocial.billing.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Answer;
import com.streamsocial.billing.loadtest.chaos.ChaosChecks.Window;
import com.streamsocial.billing.loadtest.chaos.RefundChecks.Charge;
import com.streamsocial.billing.loadtest.chaos.RefundChecks.ProviderRefund;
import com.streamsocial.billing.loadtest.chaos.RefundChecks.Stored;
import com.streamsocial.billing.loadtest.chaos.RefundChecks.Stores;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Expect;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Kind;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Reply;
import com.streamsocial.billing.loadtest.chaos.RefundLoad.Sent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The refund rules hold on a clean history (a partial plan: 40, 40, 40 refused, the rest, the rest
 * refused; a duplicated key accepted on two copies) with every count above zero, and each names its
 * violation on a history broken the way a faulty service would break it.
 */
class RefundChecksTest {
    private static final String PAY = "pay_1";
    private static final List<Window> KILLS = List.of(new Window(1, 3));

    private static Reply ok(double at) {
        return new Reply(Answer.ACCEPTED, 202, null, 2, at, at + 0.5);
    }

    private static Reply over(String slug) {
        return new Reply(Answer.REJECTED, 422, slug, 1, 10, 10);
    }

    private static Sent sent(String id, Long amount, int stage, Expect e, Kind kind, Reply... replies) {
        return new Sent(
                PAY, 100, "k-" + id, id, amount, kind, kind == Kind.PARTIALS ? 0 : 1, stage, e, List.of(replies));
    }

    private static List<Sent> history() {
        return List.of(
                sent("re_a", 40L, 0, Expect.FITS, Kind.PARTIALS, ok(2)),
                sent("re_b", 40L, 1, Expect.FITS, Kind.PARTIALS, ok(5)),
                sent("re_c", 40L, 2, Expect.REFUSED, Kind.PARTIALS, over("refund-exceeds-remainder")),
                sent("re_d", null, 3, Expect.FITS, Kind.PARTIALS, ok(6)),
                sent("re_e", null, 4, Expect.REFUSED, Kind.PARTIALS, over("payment-fully-refunded")),
                // A duplicated key: two copies at once, both answered 2xx, one refund.
                new Sent(
                        "pay_2",
                        200,
                        "k-dup",
                        "re_dup",
                        100L,
                        Kind.DUPLICATES,
                        1,
                        0,
                        Expect.FITS,
                        List.of(ok(7), ok(7))));
    }

    /** What a correct pipeline holds after {@link #history}: 40 + 40 + 20 refunded of 100, once everywhere. */
    private static Stores stores() {
        Map<String, Stored> refunds = new HashMap<>();
        Map<String, List<Long>> ledger = new HashMap<>();
        List<ProviderRefund> provider = new ArrayList<>();
        Map<String, Integer> outcomes = new HashMap<>();
        Map<String, Long> amounts = Map.of("re_a", 40L, "re_b", 40L, "re_d", 20L);
        amounts.forEach((id, a) -> {
            refunds.put(id, new Stored(PAY, a, "succeeded"));
            ledger.put(id, List.of(a));
            provider.add(new ProviderRefund("sb_" + id, id, PAY, a));
            outcomes.put(id, 1);
        });
        refunds.put("re_dup", new Stored("pay_2", 100, "succeeded"));
        ledger.put("re_dup", List.of(100L));
        provider.add(new ProviderRefund("sb_dup", "re_dup", "pay_2", 100));
        outcomes.put("re_dup", 1);
        Set<String> intents = new HashSet<>(amounts.keySet());
        intents.add("re_dup");
        return new Stores(
                refunds,
                intents,
                ledger,
                new HashMap<>(Map.of(PAY, 100L, "pay_2", 100L)),
                Map.of(PAY, 100L, "pay_2", 200L),
                provider,
                new HashMap<>(Map.of(PAY, new Charge(100, 100), "pay_2", new Charge(200, 100))),
                outcomes);
    }

    private static List<String> rules(List<Sent> sent, Stores s) {
        return RefundChecks.verify(sent, s, KILLS).violations().stream()
                .map(Violation::rule)
                .distinct()
                .sorted()
                .toList();
    }

    @Test
    void aCleanHistoryHoldsAndCountsWhatItChecked() {
        RefundChecks.Result r = RefundChecks.verify(history(), stores(), KILLS);

        assertThat(r.violations()).isEmpty();
        assertThat(r.counts()).isEqualTo(new RefundChecks.Counts(6, 7, 4, 1, 2, 0, 1, 0, 4, 0, 4));
    }

    @Test
    void aRefundExecutedTwiceAtTheProviderIsAViolation() {
        Stores s = stores();
        s.provider().add(new ProviderRefund("sb_again", "re_a", PAY, 40));
        s.charges().put(PAY, new Charge(100, 140));

        assertThat(rules(history(), s))
                .containsExactly("ledger-equals-provider", "provider-refund-once", "provider-refunded-over-captured");
    }

    @Test
    void aRefundOverTheRemainderAcceptedIsAViolationUnlessAnEarlierOneFailed() {
        List<Sent> sent = new ArrayList<>(history());
        sent.set(2, sent("re_c", 40L, 2, Expect.REFUSED, Kind.PARTIALS, ok(9)));
        Stores s = stores();
        // The processor's own check caught it: failed, nothing refunded.
        s.refunds().put("re_c", new Stored(PAY, 40, "failed"));
        s.intents().add("re_c");
        s.outcomes().put("re_c", 1);
        assertThat(rules(sent, s)).containsExactly("refund-over-remainder-accepted");

        // re_a failed first, freeing 40: then re_c fitting is right.
        s.refunds().put("re_a", new Stored(PAY, 40, "failed"));
        s.ledger().remove("re_a");
        s.provider().removeIf(p -> p.refundId().equals("re_a"));
        s.ledgerRefunded().put(PAY, 60L);
        s.charges().put(PAY, new Charge(100, 60));
        assertThat(rules(sent, s)).isEmpty();
    }

    @Test
    void refundedOverCapturedInTheLedgerAndAtTheProviderIsAViolation() {
        List<Sent> sent = new ArrayList<>(history());
        sent.set(2, sent("re_c", 40L, 2, Expect.REFUSED, Kind.PARTIALS, ok(9)));
        Stores s = stores();
        s.refunds().put("re_c", new Stored(PAY, 40, "succeeded"));
        s.intents().add("re_c");
        s.ledger().put("re_c", List.of(40L));
        s.ledgerRefunded().put(PAY, 140L);
        s.provider().add(new ProviderRefund("sb_c", "re_c", PAY, 40));
        s.charges().put(PAY, new Charge(100, 140));
        s.outcomes().put("re_c", 1);

        assertThat(rules(sent, s))
                .containsExactly(
                        "ledger-refunded-over-captured",
                        "provider-refunded-over-captured",
                        "refund-over-remainder-accepted");
    }

    @Test
    void anAcceptedRefundMissingOrDoubledAnywhereIsAViolation() {
        Stores s = stores();
        s.outcomes().put("re_a", 2);
        s.ledger().remove("re_b");
        s.ledgerRefunded().put(PAY, 60L);
        s.refunds().put("re_d", new Stored(PAY, 20, "refunding"));
        assertThat(rules(history(), s))
                .containsExactly(
                        "ledger-equals-provider", "refund-decided", "refund-ledger-once", "refund-outcome-once");
    }

    @Test
    void aRefusedRefundThatLeftSomethingAStrangerAndAnUnmarkedProviderRefundAreViolations() {
        Stores s = stores();
        s.intents().add("re_c");
        s.provider().add(new ProviderRefund("sb_x", "re_x", "pay_9", 5));
        s.provider().add(new ProviderRefund("sb_y", null, "pay_9", 5));
        s.charges().put("pay_9", new Charge(5, 10));
        assertThat(rules(history(), s)).contains("refused-refund-left-something", "refund-stranger", "unmarked-refund");
    }

    @Test
    void copiesOfOneKeyThatDisagreeAndAnUnexpectedRefusalAreViolations() {
        List<Sent> sent = new ArrayList<>(history());
        sent.set(0, sent("re_a", 40L, 0, Expect.FITS, Kind.PARTIALS, ok(2), over("idempotency-key-reused")));
        assertThat(rules(sent, stores())).containsExactly("refund-copies-disagree", "refund-refused");

        sent.set(0, sent("re_a", 40L, 0, Expect.FITS, Kind.PARTIALS, over("refund-exceeds-remainder")));
        Stores s = stores();
        s.refunds().remove("re_a");
        s.intents().remove("re_a");
        s.ledger().remove("re_a");
        s.provider().removeIf(p -> p.refundId().equals("re_a"));
        s.outcomes().remove("re_a");
        s.ledgerRefunded().put(PAY, 60L);
        s.charges().put(PAY, new Charge(100, 60));
        assertThat(rules(sent, s)).containsExactly("refund-coverage", "refund-within-remainder-refused");
    }

    @Test
    void aRaceMustAcceptExactlyOne() {
        Sent a = new Sent(PAY, 100, "k-r1", "re_r1", 60L, Kind.RACE, 3, 0, Expect.ONE_OF_RACE, List.of(ok(2)));
        Sent b = new Sent(PAY, 100, "k-r2", "re_r2", 60L, Kind.RACE, 3, 0, Expect.ONE_OF_RACE, List.of(ok(2)));
        Stores s = new Stores(
                new HashMap<>(
                        Map.of("re_r1", new Stored(PAY, 60, "succeeded"), "re_r2", new Stored(PAY, 60, "succeeded"))),
                new HashSet<>(List.of("re_r1", "re_r2")),
                new HashMap<>(Map.of("re_r1", List.of(60L), "re_r2", List.of(60L))),
                new HashMap<>(Map.of(PAY, 120L)),
                Map.of(PAY, 100L),
                new ArrayList<>(List.of(
                        new ProviderRefund("sb1", "re_r1", PAY, 60), new ProviderRefund("sb2", "re_r2", PAY, 60))),
                new HashMap<>(Map.of(PAY, new Charge(100, 120))),
                new HashMap<>(Map.of("re_r1", 1, "re_r2", 1)));
        assertThat(rules(List.of(a, b), s)).contains("refund-race", "ledger-refunded-over-captured");
    }

    @Test
    void nothingToCountFailsTheRun() {
        Stores empty =
                new Stores(Map.of(), new HashSet<>(), Map.of(), Map.of(), Map.of(), List.of(), Map.of(), Map.of());
        RefundChecks.Result r = RefundChecks.verify(List.of(), empty, KILLS);
        assertThat(r.violations())
                .extracting(Violation::rule)
                .containsOnly("refund-coverage")
                .hasSize(5);
    }

    @Test
    void aRunWithoutKillsNeedsNoRefundInAKillWindow() {
        // The zombie test's chaos run kills nothing: a clean history is then no violation at all, while
        // the same history beside kills that none of its refunds met is a coverage violation.
        assertThat(RefundChecks.verify(history(), stores(), List.of()).violations())
                .isEmpty();
        assertThat(RefundChecks.verify(history(), stores(), List.of(new ChaosChecks.Window(9_000, 9_001)))
                        .violations())
                .extracting(Violation::detail)
                .containsExactly("refunds accepted with a try in a kill window: 0; the refund checks checked nothing");
    }
}
