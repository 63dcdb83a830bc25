package com.streamsocial.billing.gateway.ownership;

/**
 * A lane's side of the ownership registry: which ids of a payment its batch statement must claim or
 * look up, and whether the owners it answered let the payment through. A payment goes through only
 * if its tenant owns its customer and its payment method (a shared test token needs no owner). What
 * the registry confirms is cached, so a known customer costs no database work at all. Pure apart from
 * the cache; not thread-safe: one per lane.
 */
public final class Ownership {
    /**
     * What a payment asks the registry. A null id is settled already: cached as this tenant's, or a
     * shared token. {@code refusedEarly}: the cache knows another tenant owns one of them.
     */
    public record Claims(String customer, String paymentMethod, boolean refusedEarly) {
        static final Claims REFUSED = new Claims(null, null, true);
    }

    private final OwnershipConfig config;
    private final OwnerCache cache;

    public Ownership(OwnershipConfig config, OwnerCache cache) {
        this.config = config;
        this.cache = cache;
    }

    public OwnershipConfig config() {
        return config;
    }

    public OwnerCache cache() {
        return cache;
    }

    /** The claims of a payment of {@code tenant} with this customer and payment method. */
    public Claims claims(String tenant, String customerId, String paymentMethod) {
        String customerOwner = cache.owner(OwnedKind.CUSTOMER, customerId);
        if (customerOwner != null && !customerOwner.equals(tenant)) {
            return Claims.REFUSED;
        }
        String methodClaim = null;
        if (!config.shared(paymentMethod)) {
            String methodOwner = cache.owner(OwnedKind.PAYMENT_METHOD, paymentMethod);
            if (methodOwner != null && !methodOwner.equals(tenant)) {
                return Claims.REFUSED;
            }
            methodClaim = methodOwner == null ? paymentMethod : null;
        }
        return new Claims(customerOwner == null ? customerId : null, methodClaim, false);
    }

    /**
     * Whether the owners the batch statement answered for these claims are {@code tenant}; a null owner
     * is an unregistered id (only when first use does not register). Caches every owner learned.
     */
    public boolean owned(String tenant, Claims claims, String customerOwner, String methodOwner) {
        if (claims.refusedEarly()) {
            return false;
        }
        learn(OwnedKind.CUSTOMER, claims.customer(), customerOwner);
        learn(OwnedKind.PAYMENT_METHOD, claims.paymentMethod(), methodOwner);
        return settled(claims.customer(), customerOwner, tenant)
                && settled(claims.paymentMethod(), methodOwner, tenant);
    }

    /** Records an owner the registry confirmed outside a batch (explicit registration). */
    public void learn(OwnedKind kind, String id, String owner) {
        if (id != null && owner != null) {
            cache.put(kind, id, owner);
        }
    }

    private static boolean settled(String claim, String owner, String tenant) {
        return claim == null || tenant.equals(owner);
    }
}
