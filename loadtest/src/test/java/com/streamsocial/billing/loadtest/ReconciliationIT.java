package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.processor.Processor;
import com.streamsocial.billing.processor.reconcile.BreakClass;
import com.streamsocial.billing.processor.reconcile.ReconcileReport;
import com.streamsocial.billing.stack.sandbox.SandboxFaults;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every break class seeded on purpose, by changing PostgreSQL, the sandbox or the topics directly:
 * reconciliation must report each in its class with the right ids, {@code --repair} must fix them,
 * and a second run (here the real {@code processor.jar reconcile} command) must report none.
 */
class ReconciliationIT {
    private static ProviderStack stack;
    private static Processor processor;
    private static final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        stack = ProviderStack.start(SandboxFaults.NONE);
        processor = stack.startProcessor(
                Map.of("reconcile.intervalMs", "1000", "reconcile.graceMs", "0", "reconcile.stuckAfterMs", "60000"));
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = stack.pay("rec-" + i, 1_000 + i, "pm_card_visa");
            assertThat(r.statusCode()).isEqualTo(202);
            ids.add(PaymentIds.paymentId("default", "rec-" + i));
        }
        assertThat(stack.pg.awaitCount("SELECT count(*) FROM payments WHERE status = 'succeeded'", 12, 60_000))
                .isEqualTo(12);
        PipelineAssertions.awaitTopicCount(
                stack.infra.kafkaBootstrap(), com.streamsocial.billing.events.Topics.RESULTS, 12, 60_000);
    }

    @AfterAll
    static void stop() throws Exception {
        if (processor != null) {
            ProviderStack.await(processor.close());
        }
        stack.close();
    }

    /**
     * Each class seeded once; nothing lags; tenants agree (ReconcileTenantIT forges that); no payment
     * here is refunded through the pipeline (RefundReconciliationIT seeds refund_mismatch and stuck_refund).
     */
    private static long seeded(BreakClass c) {
        return c == BreakClass.LAGGING
                        || c == BreakClass.TENANT_MISMATCH
                        || c == BreakClass.REFUND_MISMATCH
                        || c == BreakClass.STUCK_REFUND
                ? 0
                : 1;
    }

    private static boolean allGaugesAreSeeded() {
        for (BreakClass c : BreakClass.values()) {
            if (processor.metrics().gauge("reconciliation.breaks", "class", c.wire()) != seeded(c)) {
                return false;
            }
        }
        return true;
    }

    private static void sql(String s) {
        stack.pg.count("WITH x AS (" + s + " RETURNING 1) SELECT count(*) FROM x");
    }

    /** The payment or charge seeded for each break class. */
    private record Seeded(
            String missingInLedger,
            String missingAtProvider,
            String orphanCharge,
            String foreignCharge,
            String duplicate,
            String amount,
            String currency,
            String status,
            String stuck,
            String missingOutcome) {}

    @Test
    void everyBreakClassIsFoundRepairedAndGone() throws Exception {
        assertThat(stack.reconcile(false, 0).total())
                .as("a clean pipeline has no breaks")
                .isZero();
        Seeded seeded = seedEveryBreakClass();
        theDryRunFindsEachBreakOnce(seeded);
        theProcessorsGaugesShowEachClass();
        theRepairRepairsEachClassAndTheBreaksAreGone();
        theCommandExitsZeroWithOnlyTheForeignChargeLeft();
        theRepairsAreRefundsAndCompensations(seeded);
    }

    private static Seeded seedEveryBreakClass() throws Exception {
        // missing_in_ledger: the ledger lost an accepted payment.
        String missingInLedger = ids.get(0);
        sql("DELETE FROM ledger_entries WHERE payment_id = '" + missingInLedger + "'");
        sql("DELETE FROM payments WHERE payment_id = '" + missingInLedger + "'");
        // missing_at_provider: the provider gave the money back behind our back.
        String missingAtProvider = ids.get(1);
        String charge1 =
                stack.pg.text("SELECT provider_ref FROM payments WHERE payment_id = '" + missingAtProvider + "'");
        assertThat(stack.stripe("/v1/refunds", "seed-refund", "charge=" + charge1)
                        .statusCode())
                .isEqualTo(200);
        // Every charge the processor makes carries our marker.
        assertThat(new JsonObject(stack.pg.text(
                                "SELECT metadata FROM sandbox.charges WHERE payment_id = '" + ids.get(11) + "'"))
                        .getMap())
                .isEqualTo(Map.of("payment_id", ids.get(11), "source", "streamsocial-billing", "tenant", "default"));
        // orphan_charge: a charge of ours (it carries our marker) for no payment of ours.
        HttpResponse<String> orphan = stack.stripe(
                "/v1/payment_intents",
                "seed-orphan",
                "amount=500&currency=usd&customer=cus_x&payment_method=pm_card_visa&confirm=true&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%5Ballow_redirects%5D=never&metadata%5Bpayment_id%5D=pay_00000000000000000000000000000000"
                        + "&metadata%5Bsource%5D=streamsocial-billing&metadata%5Btenant%5D=default");
        String orphanCharge = new JsonObject(orphan.body()).getString("latest_charge");
        // foreign_charge: another system's charge on the shared account, without our marker.
        HttpResponse<String> foreign = stack.stripe(
                "/v1/payment_intents",
                "seed-foreign",
                "amount=900&currency=usd&customer=cus_other&payment_method=pm_card_visa&confirm=true&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%5Ballow_redirects%5D=never&metadata%5Border_id%5D=ord_42");
        String foreignCharge = new JsonObject(foreign.body()).getString("latest_charge");
        // duplicate_charge: a second charge for a real payment, under another key.
        String duplicate = ids.get(2);
        assertThat(stack.stripe(
                                "/v1/payment_intents",
                                "seed-duplicate",
                                "amount=1002&currency=usd&customer=cus_1&payment_method=pm_card_visa&confirm=true&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%5Ballow_redirects%5D=never&metadata%5Bpayment_id%5D="
                                        + duplicate)
                        .statusCode())
                .isEqualTo(200);
        // amount_mismatch and currency_mismatch: the ledger's money was altered.
        String amount = ids.get(3);
        sql("UPDATE ledger_entries SET amount = amount + 1 WHERE payment_id = '" + amount + "'");
        String currency = ids.get(4);
        sql("UPDATE ledger_entries SET currency = 'EUR' WHERE payment_id = '" + currency + "'");
        // status_mismatch: the ledger says failed, the provider charged.
        String status = ids.get(5);
        sql("UPDATE payments SET status = 'failed', failure_code = 'seeded' WHERE payment_id = '" + status + "'");
        // stuck: a payment left charging ten minutes ago.
        String stuck = ids.get(6);
        sql(
                "UPDATE payments SET status = 'charging', decided_at = NULL, last_attempt_at = now() - interval '10 minutes' WHERE payment_id = '"
                        + stuck + "'");
        sql("DELETE FROM ledger_entries WHERE payment_id = '" + stuck + "'");
        String missingOutcome = seedMissingOutcome();
        return new Seeded(
                missingInLedger,
                missingAtProvider,
                orphanCharge,
                foreignCharge,
                duplicate,
                amount,
                currency,
                status,
                stuck,
                missingOutcome);
    }

    /** missing_outcome: a decided payment whose outcome never reached payments.results. */
    private static String seedMissingOutcome() throws Exception {
        String missingOutcome = PaymentIds.paymentId("default", "rec-seeded-outcome");
        sql("""
                INSERT INTO payments (tenant, idempotency_key, payment_id, request_hash, amount, currency, customer_id,
                                      payment_method, status, source_partition, source_offset, accepted_at, decided_at, provider_ref)
                VALUES ('default', 'rec-seeded-outcome', '%s', 'h', 777, 'USD', 'cus_1', 'pm_card_visa', 'succeeded',
                        -1, -1, now() - interval '5 minutes', now() - interval '5 minutes', NULL)""".formatted(missingOutcome));
        HttpResponse<String> charged = stack.stripe(
                "/v1/payment_intents",
                missingOutcome,
                "amount=777&currency=usd&customer=cus_1&payment_method=pm_card_visa&confirm=true&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%5Ballow_redirects%5D=never&metadata%5Bpayment_id%5D="
                        + missingOutcome);
        String missingOutcomeCharge = new JsonObject(charged.body()).getString("latest_charge");
        sql("UPDATE payments SET provider_ref = '" + missingOutcomeCharge + "' WHERE payment_id = '" + missingOutcome
                + "'");
        sql("INSERT INTO ledger_entries (payment_id, kind, amount, currency) VALUES ('" + missingOutcome
                + "', 'charge', 777, 'USD')");

        return missingOutcome;
    }

    private static void theDryRunFindsEachBreakOnce(Seeded s) throws Exception {
        ReconcileReport dry = stack.reconcile(false, 0);
        System.out.println(dry.table());
        assertThat(dry.ids(BreakClass.MISSING_IN_LEDGER)).containsExactly(s.missingInLedger());
        assertThat(dry.ids(BreakClass.MISSING_AT_PROVIDER)).containsExactly(s.missingAtProvider());
        assertThat(dry.ids(BreakClass.ORPHAN_CHARGE)).containsExactly(s.orphanCharge());
        assertThat(dry.ids(BreakClass.DUPLICATE_CHARGE)).containsExactly(s.duplicate());
        assertThat(dry.ids(BreakClass.AMOUNT_MISMATCH)).containsExactly(s.amount());
        assertThat(dry.ids(BreakClass.CURRENCY_MISMATCH)).containsExactly(s.currency());
        assertThat(dry.ids(BreakClass.STATUS_MISMATCH)).containsExactly(s.status());
        assertThat(dry.ids(BreakClass.STUCK)).containsExactly(s.stuck());
        assertThat(dry.ids(BreakClass.MISSING_OUTCOME)).containsExactly(s.missingOutcome());
        assertThat(dry.ids(BreakClass.FOREIGN_CHARGE)).containsExactly(s.foreignCharge());
        assertThat(dry.ids(BreakClass.LAGGING)).isEmpty();
        assertThat(dry.ids(BreakClass.TENANT_MISMATCH)).isEmpty();
        assertThat(dry.ids(BreakClass.REFUND_MISMATCH))
                .as("a charge refunded behind a ledger that refunded nothing is missing_at_provider")
                .isEmpty();
        assertThat(dry.total()).as("a foreign charge is not counted").isEqualTo(9);
        // A dry run changes nothing.
        assertThat(stack.reconcile(false, 0).total()).isEqualTo(9);
    }

    private static void theProcessorsGaugesShowEachClass() throws Exception {
        // The periodic job in the processor publishes the same classes as gauges.
        // (A run that straddled the seeding may show part of it: wait for one that saw all.)
        long deadline = System.currentTimeMillis() + 30_000;
        while (!allGaugesAreSeeded() && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        for (BreakClass c : BreakClass.values()) {
            assertThat(processor.metrics().gauge("reconciliation.breaks", "class", c.wire()))
                    .as(c.wire())
                    .isEqualTo(seeded(c));
        }
    }

    private static void theRepairRepairsEachClassAndTheBreaksAreGone() throws Exception {
        ReconcileReport repaired = stack.reconcile(true, 0);
        for (BreakClass c : BreakClass.values()) {
            assertThat(repaired.toJson(0, 0, true)
                            .getJsonObject("breaks")
                            .getJsonObject(c.wire())
                            .getLong("repaired"))
                    .as(c.wire())
                    .isEqualTo(c == BreakClass.FOREIGN_CHARGE ? 0 : seeded(c));
        }
        // Re-driven payments go through the processor again: give it a moment, then the command.
        long until = System.currentTimeMillis() + 60_000;
        while (stack.reconcile(false, 0).total() > 0 && System.currentTimeMillis() < until) {
            Thread.sleep(500);
        }
    }

    /** The jar's reconcile after the repair: exit 0, no counted break, the foreign charge reported. */
    private static void theCommandExitsZeroWithOnlyTheForeignChargeLeft() throws Exception {
        Path report = Files.createTempFile("reconciliation", ".json");
        long now = System.currentTimeMillis();
        // The key goes in a file, never on the command line (the process list would show it).
        Path keyFile = Files.createTempFile("provider-key", ".txt");
        Files.writeString(keyFile, ProviderStack.SECRET);
        Process cmd = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-jar",
                        Path.of(System.getProperty("processor.jar", "../processor/target/processor.jar"))
                                .toAbsolutePath()
                                .toString(),
                        "reconcile",
                        "--from",
                        String.valueOf(now - 3_600_000),
                        "--to",
                        String.valueOf(now),
                        "--grace-ms",
                        "0",
                        "--report",
                        report.toString(),
                        "--kafka",
                        stack.infra.kafkaBootstrap(),
                        "--pg",
                        stack.infra.pgUri(),
                        "--provider",
                        stack.sandboxUrl(),
                        "--provider-key-file",
                        keyFile.toString())
                .inheritIO()
                .start();
        assertThat(cmd.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(cmd.exitValue())
                .as("reconcile exit status after repair, with a foreign charge left")
                .isZero();
        JsonObject after = new JsonObject(Files.readString(report));
        assertThat(after.getLong("total_breaks")).isZero();
        assertThat(after.getJsonObject("breaks").getJsonObject("foreign_charge").getLong("count"))
                .isEqualTo(1);
    }

    /** The repairs are what they should be: refunds at the provider, compensations in the ledger. */
    private static void theRepairsAreRefundsAndCompensations(Seeded s) throws Exception {
        assertThat(stack.sandboxStats().getLong("charges")).isEqualTo(12 + 4);
        assertThat(stack.pg.count("SELECT count(*) FROM ledger_entries WHERE kind = 'compensation'"))
                .isEqualTo(4 + 1);
        assertThat(stack.pg.text("SELECT status FROM payments WHERE payment_id = '" + s.stuck() + "'"))
                .isEqualTo("succeeded");
        assertThat(stack.pg.text("SELECT status FROM payments WHERE payment_id = '" + s.missingInLedger() + "'"))
                .isEqualTo("succeeded");
        assertThat(stack.pg.count("SELECT count(*) FROM sandbox.charges WHERE refunded"))
                .isEqualTo(3);
        assertThat(stack.pg.text("SELECT refunded::text FROM sandbox.charges WHERE id = '" + s.orphanCharge() + "'"))
                .as("our orphan refunded")
                .isEqualTo("true");
        assertThat(stack.pg.text("SELECT refunded::text FROM sandbox.charges WHERE id = '" + s.foreignCharge() + "'"))
                .as("the foreign charge untouched")
                .isEqualTo("false");
    }
}
