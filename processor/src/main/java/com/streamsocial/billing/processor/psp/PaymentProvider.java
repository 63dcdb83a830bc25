package com.streamsocial.billing.processor.psp;

import io.vertx.core.Future;
import java.util.List;

/**
 * The port to the payment service provider. An adapter must be idempotent per {@link Charge#paymentId()}:
 * calling it again for the same payment returns the first answer and never charges twice.
 */
public interface PaymentProvider {

    /** One charge to make; {@code tenant} goes with it so the provider's record names whose it is. */
    record Charge(
            String paymentId, long amount, String currency, String customerId, String paymentMethod, String tenant) {}

    /** A decided charge; {@code succeeded == false} is a decline, with its code. */
    record ChargeResult(String paymentId, boolean succeeded, String providerRef, String failureCode) {}

    /** Charges each payment; the future fails only if no outcome is known for some payment. */
    Future<List<ChargeResult>> charge(List<Charge> charges);
}
