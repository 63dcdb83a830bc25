package com.streamsocial.billing.gateway.dispute;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/**
 * A payment's disputes as {@code GET /v1/payments/{id}} shows them (issue 21 §2): what the processor
 * recorded from the provider's dispute events, oldest first. Read only after the payment itself was
 * found for the caller's tenant, so another tenant's disputes are never read.
 */
public final class Disputes {
    /** Disputes listed per payment, at most (a payment has one or two in practice). */
    public static final int DISPUTES_LISTED_MAX = 100;

    private static final String LIST = "SELECT dispute_id, amount, currency, reason, status, closed, created_at,"
            + " updated_at, closed_at FROM disputes WHERE payment_id = $1 ORDER BY created_at, dispute_id LIMIT "
            + DISPUTES_LISTED_MAX;

    private Disputes() {}

    /** The {@code disputes} array of {@code paymentId}. */
    public static Future<JsonArray> list(SqlClient client, String paymentId) {
        return client.preparedQuery(LIST).execute(Tuple.of(paymentId)).map(rows -> {
            JsonArray out = new JsonArray();
            for (Row r : rows) {
                out.add(new JsonObject()
                        .put("id", r.getString(0))
                        .put("object", "dispute")
                        .put("amount", r.getLong(1))
                        .put("currency", r.getString(2).trim())
                        .put("reason", r.getString(3))
                        .put("status", r.getString(4))
                        .put("closed", r.getBoolean(5))
                        .put("created_at", iso(r.getOffsetDateTime(6)))
                        .put("updated_at", iso(r.getOffsetDateTime(7)))
                        .put("closed_at", iso(r.getOffsetDateTime(8))));
            }
            return out;
        });
    }

    private static String iso(OffsetDateTime t) {
        return t == null ? null : t.toInstant().toString();
    }
}
