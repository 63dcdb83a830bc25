package com.streamsocial.billing.gateway.ownership;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.events.Check;
import java.util.Arrays;
import java.util.List;

/**
 * The ownership registry's settings (issue 19 §1). {@code firstUse}: a payment with an unregistered
 * customer or payment method registers it to the payment's tenant (trust on first use); off, only
 * {@code POST /v1/customers} registers, and a payment with an unregistered id is refused 422. Off
 * unless {@code dev.mode=true}: with it on, a tenant that learns another tenant's ids before their
 * owner's first payment claims them by paying first, and then charges that saved card.
 * {@code cacheEntriesMax}: confirmed owners kept in memory per lane. {@code sharedPaymentMethodPrefixes}:
 * payment methods that are the provider's shared test tokens ({@code pm_card_visa}), which are no
 * one's saved card and are never owned.
 */
public record OwnershipConfig(
        boolean firstUse,
        int cacheEntriesMax,
        List<String> sharedPaymentMethodPrefixes,
        VerificationConfig verification) {
    public static final String FIRST_USE = "gateway.ownership.firstUse";
    public static final String CACHE_ENTRIES_MAX = "gateway.ownership.cacheEntriesMax";
    public static final String SHARED_PREFIXES = "gateway.ownership.sharedPaymentMethodPrefixes";

    /** The development setting ({@code DevModes.SETTING} in the processor): {@code firstUse}'s default. */
    public static final String DEV_MODE = "dev.mode";

    /** Default entries per lane: about 100 bytes each, so some 10 MB per lane at most. */
    public static final int CACHE_ENTRIES_MAX_DEFAULT = 100_000;

    /** Stripe's test tokens (each use makes a new PaymentMethod; live mode refuses them) and the sandbox's. */
    public static final String SHARED_PREFIXES_DEFAULT = "pm_card_,pm_sandbox_";

    /** The prefixes' value that makes no payment method shared: every one has an owner. */
    public static final String NONE = "none";

    public OwnershipConfig {
        Check.argument(cacheEntriesMax >= 1, CACHE_ENTRIES_MAX + " must be at least 1, got %d", cacheEntriesMax);
        for (String p : sharedPaymentMethodPrefixes) {
            // An empty prefix would exempt every payment method from ownership.
            Check.argument(p.length() >= 4, SHARED_PREFIXES + " entries must be at least 4 characters, got '%s'", p);
        }
        sharedPaymentMethodPrefixes = List.copyOf(sharedPaymentMethodPrefixes);
    }

    /** Without verification with the provider: tests of the registry alone. */
    public OwnershipConfig(boolean firstUse, int cacheEntriesMax, List<String> sharedPaymentMethodPrefixes) {
        this(firstUse, cacheEntriesMax, sharedPaymentMethodPrefixes, VerificationConfig.OFF);
    }

    public static OwnershipConfig from(Settings s) {
        String prefixes = s.string(SHARED_PREFIXES, SHARED_PREFIXES_DEFAULT).strip();
        return new OwnershipConfig(
                // Trust on first use only where the ids are the tests' or a demonstration's own: the
                // local stack, the tests and chaos set dev.mode=true. Production registers explicitly.
                s.bool(FIRST_USE, s.bool(DEV_MODE, false)),
                s.integer(CACHE_ENTRIES_MAX, CACHE_ENTRIES_MAX_DEFAULT),
                prefixes.isEmpty() || prefixes.equals(NONE)
                        ? List.of()
                        : Arrays.stream(prefixes.split(",")).map(String::strip).toList(),
                VerificationConfig.from(s));
    }

    /**
     * The development-only modes among these settings, as {@code setting=value (why)}, for the start's
     * WARN and readiness ({@code dev_modes}, as the processor's); empty for a production configuration.
     */
    public List<String> devModes() {
        List<String> modes = new java.util.ArrayList<>();
        if (firstUse) {
            modes.add(FIRST_USE + "=true (trust on first use: a payment with an unregistered customer or"
                    + " payment method registers it to the paying tenant, so a tenant that learns another"
                    + " tenant's ids before their first payment can claim and charge them; production"
                    + " registers them with POST /v1/customers)");
        }
        if (!verification.on()) {
            modes.add(VerificationConfig.VERIFY + "=false (POST /v1/customers registers any id without asking"
                    + " the provider whose it is: the first tenant to register another tenant's customer or"
                    + " payment method owns it and can charge it)");
        }
        return List.copyOf(modes);
    }

    /** Whether this payment method is a shared test token, which no tenant owns. */
    public boolean shared(String paymentMethod) {
        for (String p : sharedPaymentMethodPrefixes) {
            if (paymentMethod.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
