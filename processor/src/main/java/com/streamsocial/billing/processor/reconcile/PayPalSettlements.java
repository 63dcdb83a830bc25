package com.streamsocial.billing.processor.reconcile;

import static com.streamsocial.billing.processor.reconcile.SettlementReport.await;

import com.streamsocial.billing.processor.psp.PayPalProvider;
import com.streamsocial.billing.processor.psp.ProviderAddress;
import com.streamsocial.billing.processor.psp.ProviderAnswerBody;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * PayPal's settlement report: Transaction Search ({@code GET /v1/reporting/transactions}), read in
 * date ranges of at most {@link PayPalReportPage#RANGE_S_MAX} (PayPal's limit), each page by page
 * (at most {@link PayPalReportPage#PAGE_SIZE_MAX} lines a page),
 * a range halved whenever PayPal says it matches too many lines; refunds by {@code POST
 * /v2/payments/captures/{id}/refund} under {@code PayPal-Request-Id: refund:<capture id>}. An OAuth2
 * token is fetched with the client credentials and again when PayPal refuses it. A transient error
 * (429, 5xx, a lost connection) is asked again, at most {@link #ATTEMPTS_MAX} times per request.
 *
 * <p>PayPal lists a transaction up to three hours after it happens: run reconciliation over a
 * window that ended at least that long ago, or with a grace period that long.
 */
final class PayPalSettlements implements SettlementReport {
    /** Tries of one request, the first included, before the run fails. */
    static final int ATTEMPTS_MAX = 6;

    private static final long RETRY_FIRST_MS = 200;

    private final ProviderAccount account;
    private final ProviderAddress provider;
    private final WebClient web;
    private final int pageSize;
    private String token;

    PayPalSettlements(ProviderAccount account, WebClient web, int pageLinesMax) {
        this.account = account;
        this.pageSize = Math.max(1, Math.min(PayPalReportPage.PAGE_SIZE_MAX, pageLinesMax));
        this.provider = ProviderAddress.of(account.baseUrl());
        this.web = web;
    }

    @Override
    public void read(long fromS, Consumer<Line> each) throws Exception {
        long nowS = System.currentTimeMillis() / 1000;
        // [from, to] ranges, inclusive on both ends as PayPal's, never overlapping: no line twice.
        Deque<long[]> ranges = new ArrayDeque<>();
        for (long start = fromS; start <= nowS; start += PayPalReportPage.RANGE_S_MAX) {
            ranges.add(new long[] {start, Math.min(nowS, start + PayPalReportPage.RANGE_S_MAX - 1)});
        }
        while (!ranges.isEmpty()) {
            long[] range = ranges.poll();
            long pages = 1;
            for (int page = 1; page <= pages; page++) {
                PayPalReportPage.Result r = page(range[0], range[1], page);
                if (r instanceof PayPalReportPage.TooLarge) {
                    if (page > 1 || range[0] == range[1]) {
                        // One second over PayPal's limit cannot be narrowed; a range that fit on page 1
                        // and not later grew while being read: either way, no complete report.
                        throw new IllegalStateException(
                                "Transaction Search cannot list " + PayPalReportPage.date(range[0])
                                        + " .. " + PayPalReportPage.date(range[1])
                                        + (page > 1
                                                ? ": the range grew past PayPal's limit while being read; run again"
                                                : ": more lines in one second than PayPal lists"));
                    }
                    long mid = range[0] + (range[1] - range[0]) / 2;
                    ranges.push(new long[] {mid + 1, range[1]});
                    ranges.push(new long[] {range[0], mid});
                    break;
                }
                PayPalReportPage.Page p = (PayPalReportPage.Page) r;
                p.lines().forEach(each);
                // An empty page ends the range, whatever total_pages says: a report that claims more
                // pages than it has cannot keep the run asking forever.
                pages = p.lines().isEmpty() && p.skipped() == 0 ? 0 : p.totalPages();
            }
        }
    }

    private PayPalReportPage.Result page(long fromS, long toS, int page) throws Exception {
        return attempt(
                bearer -> web.get(provider.port(), provider.host(), provider.path("/v1/reporting/transactions"))
                        .addQueryParam("start_date", PayPalReportPage.date(fromS))
                        .addQueryParam("end_date", PayPalReportPage.date(toS))
                        .addQueryParam("fields", "transaction_info")
                        .addQueryParam("page_size", String.valueOf(pageSize))
                        .addQueryParam("page", String.valueOf(page))
                        .putHeader("Authorization", bearer)
                        .ssl(provider.ssl())
                        .timeout(30_000)
                        .as(ProviderAnswerBody.capped(PayPalReportPage.PAGE_BYTES_MAX))
                        .send(),
                (status, body) -> {
                    PayPalReportPage.Result r = PayPalReportPage.decode(status, body);
                    return r instanceof PayPalReportPage.Failed f ? f : new Done<>(r);
                });
    }

    @Override
    public void refund(String captureId, String why) throws Exception {
        attempt(
                bearer -> web.post(
                                provider.port(),
                                provider.host(),
                                provider.path("/v2/payments/captures/" + enc(captureId) + "/refund"))
                        .putHeader("Authorization", bearer)
                        .ssl(provider.ssl())
                        .timeout(30_000)
                        .as(ProviderAnswerBody.capped(PayPalReportPage.PAGE_BYTES_MAX))
                        .putHeader("PayPal-Request-Id", "refund:" + captureId)
                        .putHeader("Content-Type", "application/json")
                        .sendBuffer(Buffer.buffer(new JsonObject()
                                .put("note_to_payer", "Refunded by reconciliation: " + why)
                                .encode())),
                (status, body) -> {
                    String text = body == null ? "" : new String(body, StandardCharsets.UTF_8);
                    // Refunded now, a replay of the first answer, or refunded before: the refund exists.
                    if (status == 200 || status == 201 || (status == 422 && text.contains("CAPTURE_FULLY_REFUNDED"))) {
                        return new Done<>(status);
                    }
                    return new PayPalReportPage.Failed(
                            status == 401,
                            status == 429 || status >= 500 || text.contains("PREVIOUS_REQUEST_IN_PROGRESS"),
                            // The status only: the provider's body may echo anything, secrets included.
                            "refund of " + captureId + " answered " + status);
                });
    }

    /** An answer that needs no other try. */
    private record Done<T>(T value) {}

    /**
     * One request, sent with a bearer token ({@code send} adds it) until {@code decide} says it is
     * {@link Done}, or fails for good, or {@link #ATTEMPTS_MAX} tries are spent.
     */
    @SuppressWarnings("unchecked")
    private <T> T attempt(
            Function<String, Future<HttpResponse<Buffer>>> send, BiFunction<Integer, byte[], Object> decide)
            throws Exception {
        String last = null;
        for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
            if (attempt > 1) {
                Thread.sleep(Math.min(5_000, RETRY_FIRST_MS << (attempt - 2)));
            }
            HttpResponse<Buffer> resp;
            try {
                resp = await(send.apply("Bearer " + token()));
            } catch (ExecutionException | TransientToken e) {
                last = "transient: " + (e instanceof ExecutionException ? e.getCause() : e.getMessage());
                continue;
            }
            Object d = decide.apply(
                    resp.statusCode(), resp.body() == null ? null : resp.body().getBytes());
            if (d instanceof Done<?> done) {
                return (T) done.value();
            }
            PayPalReportPage.Failed f = (PayPalReportPage.Failed) d;
            last = f.reason();
            if (f.tokenRejected()) {
                token = null;
            } else if (!f.transientError()) {
                break;
            }
        }
        throw new IllegalStateException(last);
    }

    /** The token endpoint failed in a way another try may not: 429, 5xx, a lost connection. */
    private static final class TransientToken extends Exception {
        TransientToken(String why) {
            super(why, null, false, false);
        }
    }

    private String token() throws Exception, TransientToken {
        if (token != null) {
            return token;
        }
        String basic = PayPalProvider.basicAuth(account.clientId(), account.clientSecret());
        HttpResponse<Buffer> r;
        try {
            r = await(web.post(provider.port(), provider.host(), provider.path("/v1/oauth2/token"))
                    .ssl(provider.ssl())
                    .timeout(30_000)
                    .putHeader("Authorization", basic)
                    .putHeader("Content-Type", "application/x-www-form-urlencoded")
                    .as(ProviderAnswerBody.capped(PayPalReportPage.PAGE_BYTES_MAX))
                    .sendBuffer(Buffer.buffer("grant_type=client_credentials")));
        } catch (ExecutionException e) {
            throw new TransientToken("token: " + e.getCause());
        }
        if (r.statusCode() == 429 || r.statusCode() >= 500) {
            throw new TransientToken("the token endpoint answered " + r.statusCode());
        }
        PayPalProvider.TokenAnswer t = PayPalProvider.TokenAnswer.decode(
                r.statusCode(), r.body() == null ? null : r.body().getBytes());
        if (t.token() == null) {
            throw new IllegalStateException(t.error());
        }
        token = t.token();
        return token;
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
