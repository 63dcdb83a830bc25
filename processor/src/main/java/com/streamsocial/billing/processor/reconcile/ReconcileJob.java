package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.processor.ProcessorMeters;
import io.vertx.core.Vertx;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic reconciliation inside the processor: every {@code intervalMs}, a dry run over the last
 * {@code windowMs}, on its own thread (it blocks), published as {@code reconciliation_breaks{class=...}}
 * gauges. Repairs are left to the command, where a person decides.
 */
public final class ReconcileJob implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReconcileJob.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reconcile-job");
        t.setDaemon(true);
        return t;
    });
    private final Map<BreakClass, AtomicLong> breaks = new EnumMap<>(BreakClass.class);

    public ReconcileJob(
            Vertx vertx, ProcessorMeters metrics, long intervalMs, LongFunction<ReconcileOptions> optionsAt) {
        for (BreakClass c : BreakClass.values()) {
            AtomicLong g = new AtomicLong();
            breaks.put(c, g);
            metrics.reconciliationBreaks(c.wire(), g::get);
        }
        AtomicLong lastRunMs = new AtomicLong();
        metrics.reconciliationLastRunSeconds(() -> lastRunMs.get() / 1000.0);
        thread.scheduleWithFixedDelay(
                () -> {
                    try {
                        ReconcileReport r = new Reconciler(vertx, optionsAt.apply(System.currentTimeMillis())).run();
                        breaks.forEach((c, g) -> g.set(r.count(c)));
                        log.info("periodic reconciliation: {} breaks in {} ms", r.total(), r.elapsedMs());
                        lastRunMs.set(r.elapsedMs());
                        if (r.total() > 0) {
                            log.warn("reconciliation found {} breaks:\n{}", r.total(), r.table());
                        }
                    } catch (Throwable e) {
                        log.warn("periodic reconciliation failed: {}", e.toString());
                    }
                },
                intervalMs,
                intervalMs,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
