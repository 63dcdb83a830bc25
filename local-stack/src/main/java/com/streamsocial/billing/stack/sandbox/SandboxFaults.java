package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import io.vertx.core.json.JsonObject;

/**
 * The sandbox's fault injection, set at start and changed at run time through
 * {@code POST /sandbox/faults}. Rates are probabilities per request, from 0 to 1.
 *
 * @param latencyMsMin the shortest processing delay of a charge
 * @param latencyMsMax the longest; each request waits a uniform draw between the two
 * @param errorRate share of requests answered 500 or 503 (half each) before anything happens
 * @param dropResponseRate share of charges made and stored whose answer is then lost (connection reset)
 * @param tooManyRequestsRate share of requests answered 429 before anything happens
 * @param errorStatus 500 or 503 to inject only that status; 0 for half of each
 */
public record SandboxFaults(
        long latencyMsMin,
        long latencyMsMax,
        double errorRate,
        double dropResponseRate,
        double tooManyRequestsRate,
        int errorStatus) {
    public static final SandboxFaults NONE = new SandboxFaults(0, 0, 0, 0, 0, 0);

    /** Every call answered 503, as in a provider outage. */
    public static final SandboxFaults OUTAGE = new SandboxFaults(0, 0, 1, 0, 0, 503);

    public SandboxFaults {
        Check.argument(
                latencyMsMin >= 0 && latencyMsMax >= latencyMsMin && latencyMsMax <= 60_000,
                "latency must satisfy 0 <= min <= max <= 60000, got %d..%d",
                latencyMsMin,
                latencyMsMax);
        Check.argument(
                errorStatus == 0 || errorStatus == 500 || errorStatus == 503, "errorStatus must be 0, 500 or 503");
        for (double r : new double[] {errorRate, dropResponseRate, tooManyRequestsRate}) {
            Check.argument(r >= 0 && r <= 1, "rates must be within 0..1, got %s", r);
        }
    }

    public static SandboxFaults fromJson(JsonObject j) {
        return new SandboxFaults(
                j.getLong("latency_ms_min", 0L),
                j.getLong("latency_ms_max", j.getLong("latency_ms_min", 0L)),
                j.getDouble("error_rate", 0.0),
                j.getDouble("drop_response_rate", 0.0),
                j.getDouble("too_many_requests_rate", 0.0),
                j.getInteger("error_status", 0));
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("latency_ms_min", latencyMsMin)
                .put("latency_ms_max", latencyMsMax)
                .put("error_rate", errorRate)
                .put("drop_response_rate", dropResponseRate)
                .put("too_many_requests_rate", tooManyRequestsRate)
                .put("error_status", errorStatus);
    }
}
