package com.streamsocial.billing.benchmarks;

import com.streamsocial.billing.events.PaymentIds;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Payment-id derivation and request fingerprinting ({@link PaymentIds}): one SHA-256 each. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PaymentIdsBenchmark {
    private final String key = "order-123-attempt-1";
    private final String canonical =
            "{\"amount\":1999,\"currency\":\"USD\",\"customer_id\":\"cus_42\",\"payment_method\":\"pm_card_visa\","
                    + "\"description\":\"StreamSocial Pro, monthly\",\"metadata\":{\"order\":\"ord_123\",\"plan\":\"pro\"}}";

    @Benchmark
    public String paymentId() {
        return PaymentIds.paymentId("default", key);
    }

    @Benchmark
    public String fingerprint() {
        return PaymentIds.fingerprint(canonical);
    }
}
