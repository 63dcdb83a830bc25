package com.streamsocial.billing.benchmarks;

import com.streamsocial.billing.events.PaymentEvent;
import com.streamsocial.billing.events.PaymentIds;
import java.util.Map;
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

/**
 * Encoding a billing event for {@code payments.billing} (gateway) and decoding and validating it
 * (processor): {@link PaymentEvent#toBytes()} and {@link PaymentEvent#parse(byte[])}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PaymentEventBenchmark {
    private final PaymentEvent event = new PaymentEvent(
            PaymentIds.paymentId("default", "order-123-attempt-1"),
            "default",
            "order-123-attempt-1",
            PaymentIds.fingerprint("{\"amount\":1999}"),
            1999,
            "USD",
            "cus_42",
            "pm_card_visa",
            "StreamSocial Pro, monthly",
            Map.of("plan", "pro", "order", "ord_123"),
            1_764_000_000_000L);
    private final byte[] encoded = event.toBytes();

    @Benchmark
    public byte[] encode() {
        return event.toBytes();
    }

    @Benchmark
    public PaymentEvent decode() {
        return PaymentEvent.parse(encoded);
    }
}
