package com.streamsocial.billing.processor.reconcile;

import static com.streamsocial.billing.processor.reconcile.SettlementReport.await;

import com.streamsocial.billing.processor.psp.ProviderAddress;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Stripe's settlement report: {@code GET /v1/balance_transactions} with each source expanded (the
 * charge and its {@code metadata}), newest first, 100 a page; refunds by {@code POST /v1/refunds}
 * under the idempotency key {@code refund:<charge id>}.
 */
final class StripeSettlements implements SettlementReport {
    private final ProviderAccount account;
    private final ProviderAddress provider;
    private final WebClient web;

    StripeSettlements(ProviderAccount account, WebClient web) {
        this.account = account;
        this.provider = ProviderAddress.of(account.baseUrl());
        this.web = web;
    }

    @Override
    public void read(long fromS, Consumer<Line> each) throws Exception {
        String after = null;
        while (true) {
            var req = web.get(provider.port(), provider.host(), provider.path("/v1/balance_transactions"))
                    .ssl(provider.ssl())
                    .timeout(30_000)
                    .putHeader("Authorization", "Bearer " + account.secretKey())
                    .addQueryParam("created[gte]", String.valueOf(fromS))
                    .addQueryParam("limit", "100")
                    .addQueryParam("expand[]", "data.source");
            if (after != null) {
                req.addQueryParam("starting_after", after);
            }
            HttpResponse<Buffer> resp = await(req.send());
            if (resp.statusCode() != 200) {
                throw new IllegalStateException(
                        "settlement report answered " + resp.statusCode() + ": " + resp.bodyAsString());
            }
            JsonObject list = resp.bodyAsJsonObject();
            JsonArray data = list.getJsonArray("data");
            for (int i = 0; i < data.size(); i++) {
                JsonObject t = data.getJsonObject(i);
                JsonObject src = t.getJsonObject("source");
                String type = t.getString("type");
                String chargeId = "refund".equals(type) ? src.getString("charge") : src.getString("id");
                JsonObject metadata = src.getJsonObject("metadata", new JsonObject());
                each.accept(new Line(
                        t.getString("id"),
                        type,
                        chargeId,
                        metadata.getString("payment_id"),
                        t.getLong("amount"),
                        t.getString("currency").toUpperCase(Locale.ROOT),
                        t.getLong("created"),
                        metadata.getString("source"),
                        metadata.getString("tenant")));
                after = t.getString("id");
            }
            if (!list.getBoolean("has_more", false) || data.isEmpty()) {
                return;
            }
        }
    }

    @Override
    public void refund(String chargeId, String why) throws Exception {
        HttpResponse<Buffer> r = await(web.post(provider.port(), provider.host(), provider.path("/v1/refunds"))
                .ssl(provider.ssl())
                .timeout(30_000)
                .putHeader("Authorization", "Bearer " + account.secretKey())
                .putHeader("Idempotency-Key", "refund:" + chargeId)
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .sendBuffer(Buffer.buffer("charge=" + chargeId + "&metadata%5Breason%5D=" + why)));
        // A replayed answer, or an already refunded charge, means the refund exists: idempotent.
        if (r.statusCode() != 200 && !r.bodyAsString().contains("charge_already_refunded")) {
            throw new IllegalStateException(
                    "refund of " + chargeId + " answered " + r.statusCode() + ": " + r.bodyAsString());
        }
    }
}
