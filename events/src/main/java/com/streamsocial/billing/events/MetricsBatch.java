package com.streamsocial.billing.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The analytics record on {@link Topics#METRICS}: one per batch (a gateway lane's accepted batch, or a
 * processor batch's decisions), written in the same Kafka transaction as the batch's billing events
 * or outcomes, so read_committed shows both or neither. It carries totals by event type, tenant and
 * currency for analytics, and the payment ids of each type, so that every payment's events can still
 * be counted exactly once. One record a batch instead of one a payment halves the records the
 * producers, the broker and the consumers handle (issue 17). Keyed by the first payment id it holds, which spreads batches over the partitions.
 * At most {@link #PAYMENTS_MAX} payments a
 * record, so a record stays far below Kafka's 1 MB default.
 */
public record MetricsBatch(long atMs, List<Total> totals, Map<String, List<String>> paymentIds) {

    public static final String TYPE = "payments.batch";

    /** Event types: a payment accepted by the gateway, and its decision by the processor. */
    public static final String ACCEPTED = "payment.accepted";

    public static final String SUCCEEDED = "payment.succeeded";
    public static final String FAILED = "payment.failed";

    /** The most payments one record describes: about 100 bytes each, so 100 KB at most. */
    public static final int PAYMENTS_MAX = 1_000;

    /** The payments of one event type, tenant and currency in the batch, and their amount. */
    public record Total(String type, String tenant, String currency, long count, long amount) {}

    public MetricsBatch {
        totals = List.copyOf(totals);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        paymentIds.forEach((type, list) -> copy.put(type, List.copyOf(list)));
        paymentIds = Collections.unmodifiableMap(copy);
    }

    /** The ids of the payments of {@code type} ({@link #ACCEPTED}, ...) in this record. */
    public List<String> ids(String type) {
        return paymentIds.getOrDefault(type, List.of());
    }

    /** Every payment id in this record, of every type. */
    public List<String> allIds() {
        List<String> all = new ArrayList<>();
        paymentIds.values().forEach(all::addAll);
        return all;
    }

    /** The payment ids of every {@link MetricsBatch} record in {@code values}, in order. */
    public static List<String> allIds(List<byte[]> values) {
        List<String> all = new ArrayList<>();
        values.forEach(v -> all.addAll(parse(v).allIds()));
        return all;
    }

    /** The record's key: the first payment id it holds (a record is never empty). */
    public String key() {
        return paymentIds.values().iterator().next().get(0);
    }

    public byte[] toBytes() {
        JsonArray t = new JsonArray();
        for (Total total : totals) {
            t.add(new JsonObject()
                    .put("type", total.type())
                    .put("tenant", total.tenant())
                    .put("currency", total.currency())
                    .put("count", total.count())
                    .put("amount", total.amount()));
        }
        JsonObject ids = new JsonObject();
        paymentIds.forEach((type, list) -> ids.put(type, new JsonArray(new ArrayList<>(list))));
        return new JsonObject()
                .put("type", TYPE)
                .put("at_ms", atMs)
                .put("totals", t)
                .put("payment_ids", ids)
                .toBuffer()
                .getBytes();
    }

    /** Reads a record this class wrote; for trusted readers (tests, tools), as it throws on other input. */
    public static MetricsBatch parse(byte[] value) {
        JsonObject json = new JsonObject(Buffer.buffer(value));
        if (!TYPE.equals(json.getString("type"))) {
            throw new EventFormatException("not a " + TYPE + " record: " + json.getString("type"));
        }
        List<Total> totals = new ArrayList<>();
        for (Object o : json.getJsonArray("totals")) {
            JsonObject t = (JsonObject) o;
            totals.add(new Total(
                    t.getString("type"),
                    t.getString("tenant"),
                    t.getString("currency"),
                    t.getLong("count"),
                    t.getLong("amount")));
        }
        Map<String, List<String>> ids = new LinkedHashMap<>();
        JsonObject byType = json.getJsonObject("payment_ids");
        for (String type : byType.fieldNames()) {
            List<String> list = new ArrayList<>();
            byType.getJsonArray(type).forEach(id -> list.add((String) id));
            ids.put(type, list);
        }
        return new MetricsBatch(json.getLong("at_ms"), totals, ids);
    }

    /**
     * Collects a batch's events, in order, into records of at most {@link #PAYMENTS_MAX} payments.
     * Not thread-safe: one batch, one builder.
     */
    public static final class Builder {
        private final List<MetricsBatch> done = new ArrayList<>();
        private final Map<List<String>, long[]> totals = new LinkedHashMap<>();
        private final Map<String, List<String>> ids = new LinkedHashMap<>();
        private final long atMs;
        private int payments;

        public Builder(long atMs) {
            this.atMs = atMs;
        }

        public Builder add(String type, String paymentId, String tenant, long amount, String currency) {
            Objects.requireNonNull(paymentId, "paymentId");
            if (payments == PAYMENTS_MAX) {
                flush();
            }
            long[] t = totals.computeIfAbsent(List.of(type, tenant, currency), k -> new long[2]);
            t[0]++;
            t[1] += amount;
            ids.computeIfAbsent(type, k -> new ArrayList<>()).add(paymentId);
            payments++;
            return this;
        }

        /** The records, in order; none for a batch without events. */
        public List<MetricsBatch> build() {
            flush();
            return List.copyOf(done);
        }

        private void flush() {
            if (payments == 0) {
                return;
            }
            List<Total> list = new ArrayList<>(totals.size());
            totals.forEach((k, v) -> list.add(new Total(k.get(0), k.get(1), k.get(2), v[0], v[1])));
            done.add(new MetricsBatch(atMs, list, ids));
            totals.clear();
            ids.clear();
            payments = 0;
        }
    }
}
