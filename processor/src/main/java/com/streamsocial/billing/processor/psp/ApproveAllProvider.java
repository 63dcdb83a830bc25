package com.streamsocial.billing.processor.psp;

import io.vertx.core.Future;
import java.util.List;

/**
 * The provider until a real adapter is configured: approves every charge without any network call.
 * It has no side effects, so calling it again for a payment is trivially idempotent.
 */
public final class ApproveAllProvider implements PaymentProvider, RefundProvider {
    /** One step: the charge is made, or asked about, by {@link #charge} alone. */
    @Override
    public Future<List<ChargeResult>> prepare(List<Charge> charges) {
        return Future.succeededFuture(List.of());
    }

    @Override
    public Future<List<ChargeResult>> charge(List<Charge> charges) {
        return Future.succeededFuture(charges.stream()
                .map(c -> ChargeResult.succeeded(c.paymentId(), null, null))
                .toList());
    }

    /** Every refund succeeds, with no call (development only, as every charge does). */
    @Override
    public Future<List<RefundResult>> refund(List<RefundCall> calls) {
        return Future.succeededFuture(calls.stream()
                .map(c -> new RefundResult(c.refundId(), true, "approved_" + c.refundId(), null))
                .toList());
    }

    /** It never leaves a refund pending: a lookup finds each succeeded. */
    @Override
    public Future<List<RefundResult>> lookup(List<RefundLookup> lookups) {
        return Future.succeededFuture(lookups.stream()
                .map(l -> new RefundResult(l.refundId(), true, l.providerRef(), null))
                .toList());
    }
}
