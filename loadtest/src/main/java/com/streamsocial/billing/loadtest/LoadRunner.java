package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.events.Check;
import com.streamsocial.billing.events.PaymentIds;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives the gateway with distinct payments plus retries of some of them, at a bounded concurrency,
 * and checks every answer against what its case allows. A 503 is retried with the same key after its
 * Retry-After, as a real client would; every payment must end accepted exactly once.
 *
 * <p>Cases: an original request; a retry sent after the original was answered (must be a replay);
 * a retry sent at the same time as the original (a replay, or 409 while the first is in flight).
 */
public final class LoadRunner {
    /** A 503'd request is re-sent at most this many times before the run counts it as lost. */
    public static final int UNAVAILABLE_RETRIES_MAX = 50;

    public record Options(
            String baseUrl,
            int payments,
            int sequentialRetries,
            int concurrentRetries,
            int concurrency,
            String keyPrefix,
            String paymentMethod,
            String apiKey) {
        public Options {
            Check.argument(apiKey != null && !apiKey.isBlank(), "an API key is required");
            Check.argument(payments > 0 && concurrency > 0, "payments and concurrency must be positive");
            Check.argument(sequentialRetries + concurrentRetries <= payments, "more retries than payments");
        }
    }

    /** What a run saw. {@code violations} lists every answer its case did not allow. */
    public record Report(
            int payments,
            long elapsedMs,
            int requests,
            int accepted,
            int replayed,
            int inFlight409,
            int unavailable503,
            Map<Integer, Integer> statusCounts,
            long p50Us,
            long p99Us,
            long maxUs,
            List<String> ids,
            List<String> violations) {

        public double paymentsPerSecond() {
            return payments * 1000.0 / Math.max(1, elapsedMs);
        }

        public String summary() {
            return String.format(
                    "%d payments in %d ms = %.0f payments/s; %d requests; %d accepted, %d replayed, %d x 409, %d x 503;"
                            + " latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; statuses %s; %d violations",
                    payments,
                    elapsedMs,
                    paymentsPerSecond(),
                    requests,
                    accepted,
                    replayed,
                    inFlight409,
                    unavailable503,
                    p50Us / 1000.0,
                    p99Us / 1000.0,
                    maxUs / 1000.0,
                    statusCounts,
                    violations.size());
        }
    }

    private enum Case {
        ORIGINAL,
        SEQUENTIAL_RETRY,
        CONCURRENT_RETRY
    }

    private final Vertx vertx;
    private final Options o;
    private final HttpClient client;
    private final String host;
    private final int port;
    private final long[] latenciesUs;
    private final AtomicInteger latencyCount = new AtomicInteger();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger replayed = new AtomicInteger();
    private final AtomicInteger conflicts = new AtomicInteger();
    private final AtomicInteger unavailable = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final int[] acceptedPerPayment;
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());

    private LoadRunner(Vertx vertx, Options o) {
        this.vertx = vertx;
        this.o = o;
        URI uri = URI.create(o.baseUrl());
        this.host = uri.getHost();
        this.port = uri.getPort();
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setKeepAlive(true)
                        .setConnectTimeout(5_000)
                        .setIdleTimeout(30),
                new PoolOptions().setHttp1MaxSize(o.concurrency()).setMaxWaitQueueSize(o.concurrency() * 4));
        int requestsMax = (o.payments() + o.sequentialRetries() + o.concurrentRetries()) * 4;
        this.latenciesUs = new long[requestsMax];
        this.acceptedPerPayment = new int[o.payments()];
    }

    /** Runs the whole load; the future completes when every payment has its answers. */
    public static Future<Report> run(Vertx vertx, Options options) {
        LoadRunner runner = new LoadRunner(vertx, options);
        Promise<Report> done = Promise.promise();
        vertx.runOnContext(v -> runner.start(done));
        return done.future().eventually(runner.client::close);
    }

    private void start(Promise<Report> done) {
        long t0 = System.nanoTime();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        // Spread both kinds of retries over the run: payment i gets a retry when i % stride == 0.
        int concurrentStride = o.concurrentRetries() == 0 ? Integer.MAX_VALUE : o.payments() / o.concurrentRetries();
        int sequentialStride = o.sequentialRetries() == 0 ? Integer.MAX_VALUE : o.payments() / o.sequentialRetries();
        AtomicInteger concurrentLeft = new AtomicInteger(o.concurrentRetries());
        AtomicInteger sequentialLeft = new AtomicInteger(o.sequentialRetries());
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (next.get() < o.payments() && next.get() - finished.get() < o.concurrency()) {
                int i = next.getAndIncrement();
                boolean concurrent = i % concurrentStride == 0 && concurrentLeft.getAndDecrement() > 0;
                boolean sequential =
                        (i + sequentialStride / 2) % sequentialStride == 0 && sequentialLeft.getAndDecrement() > 0;
                List<Future<Void>> parts = new ArrayList<>();
                parts.add(send(i, Case.ORIGINAL, 0)
                        .compose(v -> sequential ? send(i, Case.SEQUENTIAL_RETRY, 0) : Future.succeededFuture()));
                if (concurrent) {
                    parts.add(send(i, Case.CONCURRENT_RETRY, 0));
                }
                Future.join(parts).onComplete(ar -> {
                    finished.incrementAndGet();
                    if (finished.get() == o.payments()) {
                        done.complete(report(System.nanoTime() - t0));
                    } else {
                        pump[0].run();
                    }
                });
            }
        };
        pump[0].run();
    }

    private String key(int i) {
        return o.keyPrefix() + i;
    }

    private Buffer body(int i) {
        return new JsonObject()
                .put("amount", 100 + (i % 10_000))
                .put("currency", "USD")
                // Per key: the run's tenant owns its customers, and another tenant's run must not collide.
                .put("customer_id", CustomerIds.of(o.apiKey(), i % 1_000))
                .put("payment_method", o.paymentMethod())
                .put("description", "load " + i)
                .put("metadata", new JsonObject().put("run", o.keyPrefix()))
                .toBuffer();
    }

    private Future<Void> send(int i, Case c, int attempt) {
        long t0 = System.nanoTime();
        requests.incrementAndGet();
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(host)
                .setPort(port)
                .setURI("/v1/payments")
                .putHeader("Authorization", "Bearer " + o.apiKey())
                .putHeader("Idempotency-Key", key(i))
                .putHeader("Content-Type", "application/json")
                .setTimeout(60_000);
        return client.request(ro)
                .compose(req -> req.send(body(i)))
                .compose(resp -> resp.body().map(b -> {
                    record(System.nanoTime() - t0, resp.statusCode());
                    return new Object[] {
                        resp.statusCode(), resp.getHeader("Idempotent-Replayed"), resp.getHeader("Retry-After"), b
                    };
                }))
                .compose(
                        r -> check(i, c, attempt, (Integer) r[0], (String) r[1], (String) r[2], (Buffer) r[3]), err -> {
                            violations.add(key(i) + " " + c + ": transport error " + err);
                            return Future.succeededFuture();
                        });
    }

    private Future<Void> check(
            int i, Case c, int attempt, int status, String replayHeader, String retryAfter, Buffer body) {
        boolean isReplay = "true".equals(replayHeader);
        String expectedId = PaymentIds.paymentId("default", key(i));
        if (status == 503) {
            unavailable.incrementAndGet();
            if (retryAfter == null) {
                violations.add(key(i) + " " + c + ": 503 without Retry-After");
            }
            if (attempt >= UNAVAILABLE_RETRIES_MAX) {
                violations.add(key(i) + " " + c + ": still 503 after " + attempt + " retries");
                return Future.succeededFuture();
            }
            long delayMs = retryAfter == null ? 1_000 : Math.max(50, Long.parseLong(retryAfter) * 1000L / 4);
            Promise<Void> p = Promise.promise();
            vertx.setTimer(delayMs, t -> send(i, c, attempt + 1).onComplete(p));
            return p.future();
        }
        if (status == 409) {
            conflicts.incrementAndGet();
            if (c != Case.CONCURRENT_RETRY && c != Case.ORIGINAL) {
                violations.add(key(i) + " " + c + ": 409 for a retry after the first was answered");
            }
            return Future.succeededFuture();
        }
        if (status != 202 && status != 200) {
            violations.add(key(i) + " " + c + ": unexpected status " + status + " " + body);
            return Future.succeededFuture();
        }
        String id = new JsonObject(body).getString("id");
        if (!expectedId.equals(id)) {
            violations.add(key(i) + " " + c + ": id " + id + " is not " + expectedId);
        }
        if (isReplay) {
            replayed.incrementAndGet();
        } else {
            accepted.incrementAndGet();
            synchronized (acceptedPerPayment) {
                acceptedPerPayment[i]++;
            }
            if (c == Case.SEQUENTIAL_RETRY) {
                violations.add(key(i) + " " + c + ": a retry after acceptance was accepted again");
            }
        }
        return Future.succeededFuture();
    }

    private void record(long nanos, int status) {
        int k = latencyCount.getAndIncrement();
        if (k < latenciesUs.length) {
            latenciesUs[k] = nanos / 1_000;
        }
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
    }

    private Report report(long elapsedNanos) {
        int n = Math.min(latencyCount.get(), latenciesUs.length);
        long[] sorted = Arrays.copyOf(latenciesUs, n);
        Arrays.sort(sorted);
        List<String> ids = new ArrayList<>(o.payments());
        for (int i = 0; i < o.payments(); i++) {
            ids.add(PaymentIds.paymentId("default", key(i)));
            if (acceptedPerPayment[i] != 1) {
                violations.add(key(i) + ": accepted " + acceptedPerPayment[i] + " times, not once");
            }
        }
        Map<Integer, Integer> statusCounts = new TreeMap<>();
        statuses.forEach((k, v) -> statusCounts.put(k, v.get()));
        return new Report(
                o.payments(),
                elapsedNanos / 1_000_000,
                (int) requests.get(),
                accepted.get(),
                replayed.get(),
                conflicts.get(),
                unavailable.get(),
                statusCounts,
                percentile(sorted, 0.50),
                percentile(sorted, 0.99),
                n == 0 ? 0 : sorted[n - 1],
                ids,
                List.copyOf(violations));
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
