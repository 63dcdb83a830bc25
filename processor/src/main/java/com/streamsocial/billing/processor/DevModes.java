package com.streamsocial.billing.processor;

import com.streamsocial.billing.processor.guarantee.Guarantee;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * The processor's modes that move no money or spend it unsafely (issue 19 §6): the approve-all
 * provider, the naive guarantees and the sandbox's well-known credentials as defaults. They run only
 * with {@code dev.mode=true}, so that no production start falls into one by a default or a typo;
 * with it they are logged at WARN at start and listed in readiness.
 */
public final class DevModes {
    /** The development setting: off by default; the local stack, tests and demonstrations set it. */
    public static final String SETTING = "dev.mode";

    private DevModes() {}

    /** Each development-only mode of {@code c}, as {@code setting=value (why)}; empty for a production configuration. */
    public static List<String> of(ProcessorConfig c) {
        List<String> out = new ArrayList<>();
        if (c.providerKind().equals("approve-all")) {
            out.add("provider.kind=approve-all (approves every charge without calling a provider: moves no money)");
        }
        if (c.guarantee() != Guarantee.EXACTLY_ONCE) {
            out.add("processor.guarantee=" + c.guarantee().wire()
                    + " (no deduplication, no provider idempotency key: a crash "
                    + (c.guarantee() == Guarantee.AT_LEAST_ONCE ? "charges twice)" : "loses payments)"));
        }
        if (c.providerKind().equals("stripe") && ProcessorConfig.SANDBOX_SECRET_KEY.equals(c.providerSecretKey())) {
            out.add("provider.secretKey=the sandbox's well-known key");
        }
        if (c.providerKind().equals("paypal")
                && (ProcessorConfig.SANDBOX_CLIENT_SECRET.equals(c.providerClientSecret())
                        || ProcessorConfig.SANDBOX_CLIENT_ID.equals(c.providerClientId()))) {
            out.add("provider.clientId/clientSecret=the sandbox's well-known credentials");
        }
        return List.copyOf(out);
    }

    /**
     * Refuses a configuration in a development-only mode without {@code dev.mode=true}, naming every
     * such mode and what production sets instead; a start-up error (exit 1) before anything connects.
     */
    public static void require(ProcessorConfig c) {
        List<String> modes = of(c);
        if (!modes.isEmpty() && !c.devMode()) {
            throw new IllegalArgumentException("development-only mode without " + SETTING + "=true: "
                    + String.join("; ", modes)
                    + ". Production needs a real provider key (BILLING_PROVIDER_SECRETKEY or"
                    + " provider.secretKeyFile; PayPal: provider.clientId and provider.clientSecret),"
                    + " provider.kind=stripe or paypal and processor.guarantee=exactly-once; set " + SETTING
                    + "=true only for a local stack, a test or a demonstration");
        }
    }

    /** One WARN per development-only mode in effect, at start. */
    public static void warn(ProcessorConfig c, Logger log) {
        for (String mode : of(c)) {
            log.warn("processor {} runs in a development-only mode ({}=true): {}", c.instanceId(), SETTING, mode);
        }
    }
}
