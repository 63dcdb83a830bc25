package com.streamsocial.billing.processor.reconcile;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.Map;

/**
 * Compares, for a window of acceptance times, the accepted payments on {@code payments.billing}
 * (read_committed), the ledger, the outcomes on {@code payments.results} and the provider's
 * settlement report (a {@link SettlementReport}: Stripe's or PayPal's), and reports every {@link
 * BreakClass} with the ids involved; with repair, fixes each break with an idempotent action.
 *
 * <p>The one orchestrator of a run: {@link ReconcileResources} opens what it uses, {@link Sources}
 * loads each source, {@link Comparison} runs the {@link BreakQueries}, {@link Repairs} fixes. Memory
 * stays bounded whatever the window: each source is streamed page by page into temporary tables of
 * one PostgreSQL session, and the comparison runs there as SQL. Blocking: run it on a thread of its
 * own (the command's main thread, or the processor's reconciliation thread).
 */
public final class Reconciler {
    private final Vertx vertx;
    private final ReconcileOptions o;

    public Reconciler(Vertx vertx, ReconcileOptions options) {
        this.vertx = vertx;
        this.o = options;
    }

    /** One run: load, compare and, with {@link ReconcileOptions#repair}, repair. */
    public ReconcileReport run() throws Exception {
        long t0 = System.nanoTime();
        ReconcileReport report = new ReconcileReport();
        try (ReconcileResources resources = ReconcileResources.open(vertx, o)) {
            new Sources(resources, o).load(report);
            Map<BreakClass, List<Row>> found = Comparison.find(resources.session(), o, report);
            if (o.repair()) {
                new Repairs(resources.session(), resources.settlements(), new BillingRedrive(resources))
                        .repair(found, report);
            }
        }
        report.elapsedMs((System.nanoTime() - t0) / 1_000_000);
        return report;
    }
}
