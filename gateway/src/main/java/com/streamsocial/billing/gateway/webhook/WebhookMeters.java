package com.streamsocial.billing.gateway.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code gateway_webhooks_total{provider, outcome}}: every webhook delivery counted once by what became
 * of it, registered at 0 for every pair so that {@code rate()} sees the first one. Closed tag sets,
 * never an event id.
 */
public final class WebhookMeters {
    /** What became of one delivery; {@code tag} is the metric's {@code outcome}. */
    public enum Outcome {
        /** Verified, new, published: {@code 200}. */
        ACCEPTED("accepted"),
        /** Verified, already taken (a provider's retry or a replay): {@code 200}, not published again. */
        DUPLICATE("duplicate"),
        /** Verified, a type the processor does not apply: {@code 200}, not published. */
        IGNORED_TYPE("ignored_type"),
        /** A known event id with another body than the one taken: {@code 200}, not published. */
        DUPLICATE_BODY_DIFFERS("duplicate_body_differs"),
        MISSING_SIGNATURE("missing_signature"),
        MALFORMED_SIGNATURE("malformed_signature"),
        BAD_SIGNATURE("bad_signature"),
        STALE_TIMESTAMP("stale_timestamp"),
        OVERSIZE("oversize"),
        UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
        /** Signed, but not an event (no id, no type). */
        MALFORMED_BODY("malformed_body"),
        /** The provider has no endpoint here (no secret configured). */
        NOT_CONFIGURED("not_configured"),
        /** PostgreSQL or Kafka could not take it: {@code 503}, the provider retries. */
        UNAVAILABLE("unavailable");

        public final String tag;

        Outcome(String tag) {
            this.tag = tag;
        }
    }

    /**
     * What became of one PayPal delivery's verification; {@code tag} is {@code
     * gateway_webhooks_paypal_verifications_total}'s {@code outcome}.
     */
    public enum Verification {
        /** The same transmission verified before: PayPal not asked. */
        CACHED("cached"),
        /** PayPal answered {@code SUCCESS}. */
        SUCCESS("success"),
        /** PayPal answered {@code FAILURE} (or 400/422: not a delivery it signed). */
        FAILURE("failure"),
        /** Not answered within {@code webhook.paypal.verifyTimeoutMs}. */
        TIMEOUT("timeout"),
        /** Not asked: the lane had {@code PayPalVerifier.CALLS_IN_FLIGHT_MAX} calls open. */
        IN_FLIGHT_MAX("in_flight_max"),
        /** No usable answer: no connection, no token, 401, 429, 5xx or not PayPal's JSON. */
        ERROR("error");

        public final String tag;

        Verification(String tag) {
            this.tag = tag;
        }
    }

    private final Map<Verification, Counter> verifications = new EnumMap<>(Verification.class);

    private final Map<WebhookEvent.Provider, Map<Outcome, Counter>> counters =
            new EnumMap<>(WebhookEvent.Provider.class);

    public WebhookMeters(MeterRegistry registry) {
        for (WebhookEvent.Provider p : WebhookEvent.Provider.values()) {
            Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                byOutcome.put(
                        o,
                        Counter.builder("gateway.webhooks")
                                .description("Provider webhook deliveries, by what became of them")
                                .tag("provider", p.wireName)
                                .tag("outcome", o.tag)
                                .register(registry));
            }
            counters.put(p, byOutcome);
        }
        for (Verification v : Verification.values()) {
            verifications.put(
                    v,
                    Counter.builder("gateway.webhooks.paypal.verifications")
                            .description("PayPal webhook verifications, by their outcome (cached: PayPal not asked)")
                            .tag("outcome", v.tag)
                            .register(registry));
        }
    }

    public void count(Verification v) {
        verifications.get(v).increment();
    }

    public void count(WebhookEvent.Provider provider, Outcome outcome) {
        counters.get(provider).get(outcome).increment();
    }

    /** How many deliveries so far had this outcome. */
    public double value(WebhookEvent.Provider provider, Outcome outcome) {
        return counters.get(provider).get(outcome).count();
    }
}
