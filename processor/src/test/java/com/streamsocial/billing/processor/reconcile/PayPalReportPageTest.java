package com.streamsocial.billing.processor.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.processor.psp.PayPalProvider;
import com.streamsocial.billing.processor.reconcile.SettlementReport.Line;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/** What a Transaction Search page says; any status and any bytes give a result, never an exception. */
class PayPalReportPageTest {
    private static final String INVOICE = PayPalProvider.invoiceId("tenant:a", "pay_1");

    private static JsonObject info(String id, String code, String status, String value, String currency) {
        return new JsonObject()
                .put("transaction_id", id)
                .put("transaction_event_code", code)
                .put("transaction_status", status)
                .put("transaction_initiation_date", "2026-11-27T08:00:00+0000")
                .put(
                        "transaction_amount",
                        new JsonObject().put("currency_code", currency).put("value", value));
    }

    private static byte[] page(long totalPages, JsonObject... infos) {
        JsonArray details = new JsonArray();
        for (JsonObject i : infos) {
            details.add(new JsonObject().put("transaction_info", i));
        }
        return new JsonObject()
                .put("transaction_details", details)
                .put("total_pages", totalPages)
                .encode()
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void capturesAreChargesAndMerchantRefundsReturnTheirCapture() {
        var r = (PayPalReportPage.Page) PayPalReportPage.decode(
                200,
                page(
                        3,
                        info("CAP1", "T0006", "S", "19.99", "USD")
                                .put("custom_field", "pay_1")
                                .put("invoice_id", INVOICE),
                        info("CAP2", "T0006", "P", "1999", "JPY"),
                        info("REF1", "T1107", "S", "-19.99", "USD")
                                .put("paypal_reference_id", "CAP1")
                                .put("paypal_reference_id_type", "TXN")
                                .put("custom_field", "pay_1"),
                        // Not money our charges moved: a fee, a denied capture, a refund of nothing named.
                        info("FEE1", "T0106", "S", "-0.50", "USD"),
                        info("CAP3", "T0006", "D", "1.00", "USD"),
                        info("REF2", "T1107", "S", "-1.00", "USD")));
        assertThat(r.totalPages()).isEqualTo(3);
        assertThat(r.skipped()).isEqualTo(3);
        long at = 1_795_766_400L; // 2026-11-27T08:00:00Z
        assertThat(r.lines())
                .containsExactly(
                        new Line(
                                "CAP1", "charge", "CAP1", "pay_1", 1999, "USD", at, "streamsocial-billing", "tenant:a"),
                        new Line("CAP2", "charge", "CAP2", null, 1999, "JPY", at, null, null),
                        new Line("REF1", "refund", "CAP1", "pay_1", -1999, "USD", at, null, null));
    }

    @Test
    void errorsSayWhetherToNarrowRetryOrStop() {
        byte[] tooLarge =
                "{\"name\":\"RESULTSET_TOO_LARGE\",\"message\":\"Result set size is greater than the maximum limit\"}"
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(PayPalReportPage.decode(400, tooLarge)).isInstanceOf(PayPalReportPage.TooLarge.class);
        assertThat(PayPalReportPage.decode(401, null))
                .isEqualTo(new PayPalReportPage.Failed(true, false, "Transaction Search answered 401"));
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(503, null)).transientError())
                .isTrue();
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(429, null)).transientError())
                .isTrue();
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(403, null)).transientError())
                .isFalse();
        // A 200 without its list, or a line it needs without an amount, fails the page: never half-read.
        assertThat(PayPalReportPage.decode(200, "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayPalReportPage.Failed.class);
        assertThat(PayPalReportPage.decode(200, page(1, info("CAP1", "T0006", "S", "19.999", "USD"))))
                .isInstanceOf(PayPalReportPage.Failed.class);
        assertThat(PayPalReportPage.decode(200, page(1, info("CAP1", "T0006", "S", "1", "XXX"))))
                .isInstanceOf(PayPalReportPage.Failed.class);
    }

    @Test
    void datesInPayPalsShapeAndRfc3339() {
        assertThat(PayPalReportPage.epochSeconds("2026-11-27T08:00:00+0000")).isEqualTo(1_795_766_400L);
        assertThat(PayPalReportPage.epochSeconds("2026-11-27T01:00:00-0700")).isEqualTo(1_795_766_400L);
        assertThat(PayPalReportPage.epochSeconds("2026-11-27T08:00:00Z")).isEqualTo(1_795_766_400L);
        assertThat(PayPalReportPage.epochSeconds("2026-11-27T08:00:00.000+00:00"))
                .isEqualTo(1_795_766_400L);
        assertThat(PayPalReportPage.epochSeconds("yesterday")).isNull();
        assertThat(PayPalReportPage.date(1_795_766_400L)).isEqualTo("2026-11-27T08:00:00Z");
    }

    @Test
    void boundaries() {
        // A page of exactly the bound is read; one byte more is not.
        String empty = "{\"transaction_details\":[],\"total_pages\":0}";
        byte[] atBound =
                (empty + " ".repeat(PayPalReportPage.PAGE_BYTES_MAX - empty.length())).getBytes(StandardCharsets.UTF_8);
        assertThat(PayPalReportPage.decode(200, atBound))
                .isEqualTo(new PayPalReportPage.Page(java.util.List.of(), 0, 0));
        // 500 is PayPal's failure (transient), 499 the request's.
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(500, null)).transientError())
                .isTrue();
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(499, null)).transientError())
                .isFalse();
        // Too large, said as a detail's issue; details empty or not objects are just a failure.
        assertThat(PayPalReportPage.decode(
                        422,
                        "{\"name\":\"UNPROCESSABLE_ENTITY\",\"details\":[{\"issue\":\"RESULTSET_TOO_LARGE\"}]}"
                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayPalReportPage.TooLarge.class);
        assertThat(PayPalReportPage.decode(422, "{\"details\":[]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayPalReportPage.Failed.class);
        assertThat(PayPalReportPage.decode(
                        422, "{\"details\":[\"RESULTSET_TOO_LARGE\"]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayPalReportPage.Failed.class);
        // PayPal's message is never in the reason, however short or long: only its name and issue.
        String hostile = "Invalid client: sk_live_4eC39HqLyjWDarjtT1zdp7dc, card 4242 4242 4242 4242";
        String reason = ((PayPalReportPage.Failed) PayPalReportPage.decode(
                        400,
                        ("{\"name\":\"INVALID_REQUEST\",\"message\":\"" + hostile
                                        + "\",\"details\":[{\"issue\":\"INVALID_PARAMETER_VALUE\",\"description\":\""
                                        + hostile + "\"}]}")
                                .getBytes(StandardCharsets.UTF_8)))
                .reason();
        assertThat(reason).isEqualTo("Transaction Search answered 400 INVALID_REQUEST INVALID_PARAMETER_VALUE");
        for (String message : new String[] {"m", "m".repeat(200), "m".repeat(250)}) {
            assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(
                                    400, ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8)))
                            .reason())
                    .isEqualTo("Transaction Search answered 400");
        }
        // A name or issue that is no short token is left out: free text in a token's place.
        assertThat(((PayPalReportPage.Failed) PayPalReportPage.decode(
                                500,
                                ("{\"name\":\"" + hostile + "\",\"details\":[{\"issue\":\"4242424242424242 x\"}]}")
                                        .getBytes(StandardCharsets.UTF_8)))
                        .reason())
                .isEqualTo("Transaction Search answered 500");
        // A refund of nothing (0.00) is still a refund line.
        var zero = (PayPalReportPage.Page) PayPalReportPage.decode(
                200,
                page(
                        1,
                        info("REF0", "T1107", "S", "0.00", "USD")
                                .put("paypal_reference_id", "CAP9")
                                .put("paypal_reference_id_type", "TXN")));
        assertThat(zero.lines())
                .extracting(Line::type, Line::amount)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("refund", 0L));
    }

    @Test
    void theInvoiceIdGivesMarkerAndTenantOnlyWhenBothAreThere() {
        for (String[] c : new String[][] {
            {"m:t:p", "m", "t"},
            {"m:t:u:p", "m", "t:u"},
            {":t:p", null, null},
            {"m::p", null, null},
            {"m:p", null, null}
        }) {
            var p = (PayPalReportPage.Page) PayPalReportPage.decode(
                    200, page(1, info("CAP1", "T0006", "S", "1.00", "USD").put("invoice_id", c[0])));
            assertThat(p.lines().get(0).marker()).as(c[0]).isEqualTo(c[1]);
            assertThat(p.lines().get(0).tenant()).as(c[0]).isEqualTo(c[2]);
        }
        assertThat(PayPalReportPage.epochSeconds(null)).isNull();
    }

    @Test
    void anAnswerOverTheBoundFails() {
        assertThat(PayPalReportPage.decode(200, new byte[PayPalReportPage.PAGE_BYTES_MAX + 1]))
                .isInstanceOf(PayPalReportPage.Failed.class);
    }

    @Test
    void anyAnswerGivesAResultNeverAnException() {
        Props.cases(3_000)
                .forAll(bodies(), statuses())
                .checkAssert((body, status) ->
                        assertThat(PayPalReportPage.decode(status, body)).isNotNull());
    }

    private static Gen<byte[]> bodies() {
        Gen<String> text = Gens.anyStrings(40);
        Gen<Object> value = Gens.oneOf(
                text,
                Gens.ints(),
                SourceDSL.arbitrary().constant((Object) null),
                Gens.of(new JsonObject()),
                Gens.of(new JsonArray().add(1)));
        Gen<JsonObject> line = Gens.of("T0006", "T1107", "T0106", "X", "")
                .zip(
                        Gens.of("S", "P", "D", "V"),
                        value,
                        value,
                        value,
                        (code, st, a, b, c) -> new JsonObject()
                                .put("transaction_id", a)
                                .put("transaction_event_code", code)
                                .put("transaction_status", st)
                                .put("transaction_initiation_date", b)
                                .put("paypal_reference_id_type", "TXN")
                                .put("paypal_reference_id", c)
                                .put("invoice_id", c)
                                .put(
                                        "transaction_amount",
                                        new JsonObject().put("currency_code", a).put("value", b)));
        Gen<byte[]> pages =
                SourceDSL.lists().of(line).ofSizeBetween(0, 5).map(ls -> page(1, ls.toArray(JsonObject[]::new)));
        return Gens.oneOf(
                        Gens.bytes(200),
                        text.map(s -> s.getBytes(StandardCharsets.UTF_8)),
                        pages,
                        Gens.of(
                                        "{\"transaction_details\":[1,null,\"x\",{\"transaction_info\":[]}],\"total_pages\":1}",
                                        "{\"transaction_details\":{},\"total_pages\":\"1\"}",
                                        "{\"transaction_details\":[],\"total_pages\":\"1\"}",
                                        "{\"transaction_details\":[]}",
                                        "[]",
                                        "null",
                                        "{\"name\":5,\"details\":[{\"issue\":[]}]}")
                                .map(s -> s.getBytes(StandardCharsets.UTF_8)))
                .describedAs(Gens::printable);
    }

    private static Gen<Integer> statuses() {
        return Gens.oneOf(Gens.of(200, 400, 401, 422, 429, 500), Gens.ints());
    }
}
