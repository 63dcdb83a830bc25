package com.streamsocial.billing.stack.sandbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A dashboard refund the sandbox announces by webhook (Stripe {@code charge.refunded}, PayPal {@code
 * PAYMENT.CAPTURE.REFUNDED}) is first made in the sandbox's own records, as the provider makes a
 * refund before announcing it: otherwise its settlement report (what reconciliation reads) and its
 * webhook would disagree. One transaction per event; a refund already recorded is not recorded again
 * (a pending one is completed); a refund beyond what remains of its charge or capture, or of one the
 * sandbox does not hold, fails the trigger and nothing is sent.
 */
final class AnnouncedRefunds {
    /** Refunds one announcing event may carry, at most (Stripe lists a charge's refunds 10 a page). */
    static final int REFUNDS_PER_EVENT_MAX = 100;

    private AnnouncedRefunds() {}

    /** Why an announced refund cannot be recorded: the trigger is answered 400 with it. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Records the event's refunds if it announces any; {@code event} gains their ids and status. Throws
     * {@link Refused} for an event whose refunds are not even listed right.
     */
    static Future<Void> record(Pool pool, String provider, JsonObject event) {
        String type = event.getValue(provider.equals("stripe") ? "type" : "event_type") instanceof String t ? t : "";
        if (provider.equals("stripe") && type.equals("charge.refunded")) {
            JsonObject charge = event.getJsonObject("data").getJsonObject("object");
            List<JsonObject> refunds = stripeRefunds(charge);
            return pool.withTransaction(conn -> stripe(conn, charge, refunds));
        }
        if (provider.equals("paypal") && type.equals("PAYMENT.CAPTURE.REFUNDED")) {
            return pool.withTransaction(conn -> paypal(conn, event.getJsonObject("resource")));
        }
        return Future.succeededFuture();
    }

    /** The charge's {@code refunds.data}, each succeeded one recorded against it. */
    private static Future<Void> stripe(SqlConnection conn, JsonObject charge, List<JsonObject> refunds) {
        return conn.preparedQuery("""
                        SELECT c.amount, c.amount_refunded
                                 + coalesce((SELECT sum(x.amount) FROM sandbox.refunds x
                                             WHERE x.charge = c.id AND x.status = 'pending'), 0)::bigint,
                               c.currency, c.payment_id, c.payment_intent
                        FROM sandbox.charges c WHERE c.id = $1 FOR UPDATE""").execute(Tuple.of(charge.getValue("id"))).compose(rows -> {
            if (rows.size() == 0) {
                return Future.failedFuture(new Refused("no such charge: " + charge.getValue("id")));
            }
            Row c = rows.iterator().next();
            Future<Long> remaining = Future.succeededFuture(c.getLong(0) - c.getLong(1));
            for (JsonObject r : refunds) {
                if ("succeeded".equals(r.getValue("status"))) {
                    remaining = remaining.compose(left -> stripeRefund(conn, charge, c, r, left));
                }
            }
            return remaining.compose(left -> conn.preparedQuery(
                            "SELECT amount_refunded, refunded FROM sandbox.charges WHERE id = $1")
                    .execute(Tuple.of(charge.getValue("id")))
                    .map(rs -> {
                        Row now = rs.iterator().next();
                        charge.put("amount_refunded", now.getLong(0)).put("refunded", now.getBoolean(1));
                        return null;
                    }));
        });
    }

    /** The charge's announced refunds, each given an id and status (Stripe's defaults) if it had none. */
    private static List<JsonObject> stripeRefunds(JsonObject charge) {
        JsonObject list = charge.getValue("refunds") instanceof JsonObject l ? l : null;
        JsonArray data = list != null && list.getValue("data") instanceof JsonArray a ? a : new JsonArray();
        if (data.size() > REFUNDS_PER_EVENT_MAX) {
            throw new Refused("at most " + REFUNDS_PER_EVENT_MAX + " refunds an event");
        }
        List<JsonObject> out = new ArrayList<>();
        for (Object o : data) {
            if (!(o instanceof JsonObject r)
                    || !(r.getValue("amount") instanceof Integer || r.getValue("amount") instanceof Long)) {
                throw new Refused("each refund needs an amount");
            }
            if (!r.containsKey("id")) {
                r.put("id", "re_" + SandboxProvider.randomId());
            }
            if (!r.containsKey("status")) {
                r.put("status", "succeeded");
            }
            r.put("object", "refund").put("charge", charge.getValue("id"));
            out.add(r);
        }
        return out;
    }

    /** One succeeded refund of the charge {@code c}: recorded unless it is; what remains after it. */
    private static Future<Long> stripeRefund(SqlConnection conn, JsonObject charge, Row c, JsonObject r, long left) {
        String id = String.valueOf(r.getValue("id"));
        long amount = ((Number) r.getValue("amount")).longValue();
        long created = Instant.now().getEpochSecond();
        return conn.preparedQuery(
                        "SELECT status, amount, metadata::json ->> 'refund_id' FROM sandbox.refunds WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(id))
                .compose(rows -> {
                    Row h = rows.size() == 0 ? null : rows.iterator().next();
                    String held = h == null ? null : h.getString(0);
                    if ("pending".equals(held)) {
                        // Announced succeeded: the pending refund, whose amount already holds, moves its money.
                        return conn.preparedQuery("UPDATE sandbox.refunds SET status = 'succeeded' WHERE id = $1")
                                .execute(Tuple.of(id))
                                .compose(v -> SandboxProvider.refunded(
                                        conn,
                                        id,
                                        charge.getString("id"),
                                        h.getLong(1),
                                        c.getString(2),
                                        c.getString(3),
                                        created,
                                        h.getString(2)))
                                .map(left);
                    }
                    if (held != null) {
                        return Future.succeededFuture(left);
                    }
                    if (amount <= 0 || amount > left) {
                        return Future.failedFuture(new Refused("refund " + id + " of " + amount
                                + " is beyond what remains of the charge (" + left + ")"));
                    }
                    return conn.preparedQuery("""
                                    INSERT INTO sandbox.refunds (id, charge, payment_intent, amount, currency, status,
                                                                 metadata, created_s)
                                    VALUES ($1, $2, $3, $4, $5, 'succeeded', '{}', $6)""")
                            .execute(Tuple.of(
                                    id, charge.getString("id"), c.getString(4), amount, c.getString(2), created))
                            .compose(v -> SandboxProvider.refunded(
                                    conn,
                                    id,
                                    charge.getString("id"),
                                    amount,
                                    c.getString(2),
                                    c.getString(3),
                                    created,
                                    null))
                            .map(v -> left - amount);
                });
    }

    /** A PayPal refund resource, completed, of the capture its {@code up} link names. */
    private static Future<Void> paypal(SqlConnection conn, JsonObject refund) {
        if (!"COMPLETED".equals(refund.getValue("status"))) {
            return Future.succeededFuture();
        }
        String id = refund.getValue("id") instanceof String s ? s : null;
        String capture = upCapture(refund);
        JsonObject amount = refund.getValue("amount") instanceof JsonObject a ? a : null;
        if (id == null || capture == null || amount == null) {
            return Future.failedFuture(new Refused("a PayPal refund needs id, amount and an up link to its capture"));
        }
        return conn.preparedQuery("""
                        SELECT c.amount, c.currency,
                               coalesce((SELECT sum(r.amount) FROM sandbox.paypal_refunds r
                                         WHERE r.capture_id = c.id AND r.status <> 'FAILED'), 0)::bigint,
                               (SELECT r.status FROM sandbox.paypal_refunds r WHERE r.id = $2)
                        FROM sandbox.paypal_captures c WHERE c.id = $1 FOR UPDATE""").execute(Tuple.of(capture, id)).compose(rows -> {
            if (rows.size() == 0) {
                return Future.failedFuture(new Refused("no such capture: " + capture));
            }
            Row c = rows.iterator().next();
            long created = Instant.now().getEpochSecond();
            if ("PENDING".equals(c.getString(3))) {
                return conn.preparedQuery(
                                "UPDATE sandbox.paypal_refunds SET status = 'COMPLETED', created_s = $2 WHERE id = $1")
                        .execute(Tuple.of(id, created))
                        .mapEmpty();
            }
            if (c.getString(3) != null) {
                return Future.succeededFuture();
            }
            String currency = c.getString(1);
            PayPalSandboxAmounts.Parsed parsed = currency.equals(amount.getValue("currency_code"))
                    ? PayPalSandboxAmounts.parse(amount.getValue("value") instanceof String v ? v : null, currency)
                    : null;
            long units = parsed instanceof PayPalSandboxAmounts.Units u ? u.units() : -1;
            if (units <= 0 || units > c.getLong(0) - c.getLong(2)) {
                return Future.failedFuture(new Refused("refund " + id + " is not a " + currency
                        + " amount within what remains of capture " + capture));
            }
            return conn.preparedQuery("""
                                    INSERT INTO sandbox.paypal_refunds (id, capture_id, request_id, amount, currency, created_s, status)
                                    VALUES ($1, $2, NULL, $3, $4, $5, 'COMPLETED')""")
                    .execute(Tuple.of(id, capture, units, currency, created))
                    .mapEmpty();
        });
    }

    /** The capture a refund resource's {@code up} link names, as PayPal links a refund to its capture. */
    static String upCapture(JsonObject refund) {
        JsonArray links = refund.getValue("links") instanceof JsonArray a ? a : new JsonArray();
        for (Object l : links) {
            if (l instanceof JsonObject link
                    && "up".equals(link.getValue("rel"))
                    && link.getValue("href") instanceof String h) {
                int slash = h.lastIndexOf('/');
                return slash >= 0 && slash < h.length() - 1 ? h.substring(slash + 1) : null;
            }
        }
        return null;
    }
}
