package com.streamsocial.billing.benchmarks;

import com.streamsocial.billing.gateway.http.RequestValidator;
import io.vertx.core.buffer.Buffer;
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
 * The gateway's per-request validation and canonicalisation ({@link RequestValidator#validate}: key
 * check, JSON parse, field checks, canonical form and its SHA-256 fingerprint, payment-id derivation),
 * for a typical valid body and for an invalid one answered 400.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestValidationBenchmark {
    private final Buffer valid = Buffer.buffer(
            "{\"amount\":1999,\"currency\":\"usd\",\"customer_id\":\"cus_42\",\"payment_method\":\"pm_card_visa\","
                    + "\"description\":\"StreamSocial Pro, monthly\",\"metadata\":{\"plan\":\"pro\",\"order\":\"ord_123\"}}");
    private final Buffer invalid =
            Buffer.buffer("{\"amount\":-1,\"currency\":\"XXX\",\"customer_id\":\"\",\"colour\":\"blue\"}");

    @Benchmark
    public RequestValidator.Result validRequest() {
        return RequestValidator.validate("default", "order-123-attempt-1", "application/json", valid);
    }

    @Benchmark
    public RequestValidator.Result invalidRequest() {
        return RequestValidator.validate("default", "order-123-attempt-1", "application/json", invalid);
    }
}
