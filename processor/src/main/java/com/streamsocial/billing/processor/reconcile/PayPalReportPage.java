package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.events.DecimalAmounts;
import com.streamsocial.billing.processor.psp.ProviderAnswerBody;
import com.streamsocial.billing.processor.psp.ProviderToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one answer of PayPal's Transaction Search ({@code GET /v1/reporting/transactions}) into
 * settlement lines. Total and pure: any status and any bytes give a {@link Result}, never an
 * exception.
 *
 * <ul>
 *   <li>A payment received ({@code transaction_event_code} T00xx, status {@code S} or {@code P}) is a
 *       {@code charge}: the capture's transaction id, {@code custom_field} as the payment id, and
 *       {@code invoice_id} ({@link com.streamsocial.billing.processor.psp.PayPalProvider#invoiceId}:
 *       {@code marker:tenant:payment id}) as this system's marker and the tenant.
 *   <li>A reversal (T11xx: T1107, a merchant's refund; T1106, PayPal's reversal) referring to a
 *       transaction ({@code paypal_reference_id_type TXN}) is a {@code refund} of that capture, its
 *       amount negative.
 *   <li>Everything else (fees, transfers, holds; denied or reversed lines) is not money this
 *       system's charges moved: skipped and counted.
 * </ul>
 *
 * A line this system needs whose fields do not decode fails the page: a report half-read would show
 * breaks that are not there.
 */
public final class PayPalReportPage {
    /** The largest page Transaction Search gives. */
    public static final int PAGE_SIZE_MAX = 500;

    /** The longest date range one query may span, as PayPal's. */
    public static final long RANGE_S_MAX = 31L * 24 * 3600;

    /** Bytes of one page at most (500 lines of about 1 KiB each, and room): a longer answer fails. */
    public static final int PAGE_BYTES_MAX = 4 * 1024 * 1024;

    /** The issue PayPal answers when a query matches more than 10,000 lines: narrow the range. */
    static final String TOO_LARGE = "RESULTSET_TOO_LARGE";

    /** What an answer gives. */
    public sealed interface Result permits Page, TooLarge, Failed {}

    /** The page's lines, the lines skipped, and how many pages the query has. */
    public record Page(List<SettlementReport.Line> lines, int skipped, long totalPages) implements Result {}

    /** The query matched more lines than PayPal lists: ask again over a narrower date range. */
    public record TooLarge() implements Result {}

    /**
     * No page: {@code tokenRejected} when the token is to be fetched again; {@code reason} to print,
     * in our own words and the provider's short tokens only.
     */
    public record Failed(boolean tokenRejected, boolean transientError, String reason) implements Result {}

    private static final DateTimeFormatter PAYPAL_OFFSET = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ");

    private PayPalReportPage() {}

    public static Result decode(int status, byte[] body) {
        if (body != null && body.length > PAGE_BYTES_MAX) {
            return new Failed(false, true, "a report page over " + PAGE_BYTES_MAX + " bytes");
        }
        JsonObject root = json(body);
        if (status != 200) {
            return refused(status, root);
        }
        if (root == null || !(root.getValue("transaction_details") instanceof JsonArray details)) {
            return new Failed(false, true, "Transaction Search answered 200 without transaction_details");
        }
        long totalPages = root.getValue("total_pages") instanceof Number n ? n.longValue() : -1;
        if (totalPages < 0) {
            return new Failed(false, true, "Transaction Search answered 200 without total_pages");
        }
        List<SettlementReport.Line> lines = new ArrayList<>(details.size());
        int skipped = 0;
        for (int i = 0; i < details.size(); i++) {
            Decoded decoded = line(i, details.getValue(i));
            if (decoded.failed() != null) {
                return decoded.failed();
            }
            if (decoded.line() == null) {
                skipped++;
            } else {
                lines.add(decoded.line());
            }
        }
        return new Page(lines, skipped, totalPages);
    }

    /**
     * An answer other than 200: too large (narrow the range), or a failure with the status and
     * PayPal's error name and issue when they are short tokens ({@link ProviderToken}); never PayPal's
     * {@code message}, free text that may echo the request.
     */
    private static Result refused(int status, JsonObject root) {
        String name = text(root, "name");
        String issue = root != null
                        && root.getValue("details") instanceof JsonArray d
                        && !d.isEmpty()
                        && d.getValue(0) instanceof JsonObject o
                ? text(o, "issue")
                : null;
        if (TOO_LARGE.equals(name) || TOO_LARGE.equals(issue)) {
            return new TooLarge();
        }
        String safeName = ProviderToken.safe(name);
        String safeIssue = ProviderToken.safe(issue);
        String why = "Transaction Search answered " + status + (safeName != null ? " " + safeName : "")
                + (safeIssue != null ? " " + safeIssue : "");
        return new Failed(status == 401, status == 429 || status >= 500, why);
    }

    /** One line's fate: a settlement line, skipped (both null), or the page fails. */
    private record Decoded(SettlementReport.Line line, Failed failed) {
        static final Decoded SKIPPED = new Decoded(null, null);
    }

    /** Line {@code i} of a page, {@code detail} as the page holds it. */
    private static Decoded line(int i, Object detail) {
        JsonObject info =
                detail instanceof JsonObject d && d.getValue("transaction_info") instanceof JsonObject t ? t : null;
        String code = text(info, "transaction_event_code");
        String st = text(info, "transaction_status");
        boolean charge = code != null && code.startsWith("T00");
        boolean refund = code != null && code.startsWith("T11");
        if (!(charge || refund) || !("S".equals(st) || "P".equals(st))) {
            return Decoded.SKIPPED;
        }
        String id = text(info, "transaction_id");
        JsonObject amount = info.getValue("transaction_amount") instanceof JsonObject a ? a : null;
        String currency = text(amount, "currency_code");
        String value = text(amount, "value");
        Long createdS = epochSeconds(text(info, "transaction_initiation_date"));
        DecimalAmounts.Result<Long> minor =
                value == null || currency == null ? null : DecimalAmounts.toMinor(value, currency);
        if (id == null || createdS == null || !(minor instanceof DecimalAmounts.Converted<Long> m)) {
            return new Decoded(
                    null, new Failed(false, false, "line " + i + " of a page has no transaction id, date or amount"));
        }
        String chargeId = id;
        if (refund) {
            chargeId = "TXN".equals(text(info, "paypal_reference_id_type")) ? text(info, "paypal_reference_id") : null;
            if (chargeId == null || m.value() > 0) {
                return Decoded.SKIPPED;
            }
        }
        String marker = null;
        String tenant = null;
        String invoice = text(info, "invoice_id");
        int first = invoice == null ? -1 : invoice.indexOf(':');
        int last = invoice == null ? -1 : invoice.lastIndexOf(':');
        if (first > 0 && last > first + 1) {
            marker = invoice.substring(0, first);
            tenant = invoice.substring(first + 1, last);
        }
        return new Decoded(
                new SettlementReport.Line(
                        id,
                        charge ? "charge" : "refund",
                        chargeId,
                        text(info, "custom_field"),
                        m.value(),
                        currency,
                        createdS,
                        marker,
                        tenant),
                null);
    }

    /** PayPal's dates: {@code 2026-11-27T08:00:00+0000}, or RFC 3339 ({@code ...Z}, {@code ...+00:00}). */
    static Long epochSeconds(String s) {
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toEpochSecond();
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(s, PAYPAL_OFFSET).toEpochSecond();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** The date as Transaction Search takes it: UTC, to the second. */
    static String date(long epochS) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(epochS));
    }

    private static JsonObject json(byte[] body) {
        try {
            return ProviderAnswerBody.json(body) instanceof JsonObject o ? o : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String text(JsonObject node, String field) {
        return node != null && node.getValue(field) instanceof String s && s.length() <= 255 ? s : null;
    }
}
