package com.streamsocial.billing.processor.reconcile;

import static com.streamsocial.billing.processor.reconcile.SettlementReport.await;

import com.streamsocial.billing.processor.psp.ProviderAddress;
import com.streamsocial.billing.processor.psp.ProviderAnswerBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Stripe's settlement report: {@code GET /v1/balance_transactions} with each source expanded (the
 * charge and its {@code metadata}), newest first, 100 a page, at most {@link #PAGES_MAX} pages of at
 * most {@link PayPalReportPage#PAGE_BYTES_MAX} bytes (as PayPal's); refunds by {@code POST
 * /v1/refunds} under the idempotency key {@code refund:<charge id>}. Failures name the status, never
 * the provider's body (it may echo anything).
 */
final class StripeSettlements implements SettlementReport {
    /** Pages read at most: 1,000,000 transactions; a report that claims more fails the run. */
    static final int PAGES_MAX = 10_000;

    private final ProviderAccount account;
    private final ProviderAddress provider;
    private final WebClient web;
    private final int pagesMax;

    StripeSettlements(ProviderAccount account, WebClient web) {
        this(account, web, PAGES_MAX);
    }

    StripeSettlements(ProviderAccount account, WebClient web, int pagesMax) {
        this.account = account;
        this.provider = ProviderAddress.of(account.baseUrl());
        this.web = web;
        this.pagesMax = pagesMax;
    }

    @Override
    public void read(long fromS, Consumer<Line> each) throws Exception {
        String after = null;
        for (int page = 1; ; page++) {
            if (page > pagesMax) {
                throw new IllegalStateException("settlement report has more than " + pagesMax + " pages");
            }
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
            HttpResponse<Buffer> resp = await(req.as(ProviderAnswerBody.capped(PayPalReportPage.PAGE_BYTES_MAX))
                    .send());
            if (resp.statusCode() != 200) {
                throw new IllegalStateException("settlement report answered " + resp.statusCode());
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
                .as(ProviderAnswerBody.capped(PayPalReportPage.PAGE_BYTES_MAX))
                .sendBuffer(Buffer.buffer(refundForm(chargeId, why))));
        // A replayed answer, or an already refunded charge, means the refund exists: idempotent.
        String body = r.body() == null ? "" : r.bodyAsString();
        if (r.statusCode() != 200 && !body.contains("charge_already_refunded")) {
            throw new IllegalStateException("refund of " + chargeId + " answered " + r.statusCode());
        }
    }

    /** Each field URL-encoded: a charge id or reason holding '&' or '=' cannot add a parameter. */
    static String refundForm(String chargeId, String why) {
        return "charge=" + URLEncoder.encode(chargeId, StandardCharsets.UTF_8) + "&metadata%5Breason%5D="
                + URLEncoder.encode(why, StandardCharsets.UTF_8);
    }
}
