package com.streamsocial.billing.processor.psp;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import com.streamsocial.billing.processor.ProcessorMeters;
import com.streamsocial.billing.processor.psp.PaymentProvider.Charge;
import com.streamsocial.billing.processor.psp.PaymentProvider.ChargeResult;
import com.streamsocial.billing.processor.psp.PaymentProvider.Verdict;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The PayPal adapter's amounts against PayPal's documented currency table, written here as data,
 * independently of {@link PayPalAmounts}: every supported currency with its decimals, every other
 * refused, and every amount either sent exactly or refused without a call to PayPal.
 */
class PayPalCurrenciesTest {
    /**
     * PayPal's REST "Currency codes" page (developer.paypal.com/docs/api/reference/currency-codes/),
     * read on 2026-12-06: the 25 currencies its REST API supports, true where the page says "This
     * currency does not support decimals. If you pass a decimal amount, an error occurs."
     */
    private static final Map<String, Boolean> PAYPAL_NO_DECIMALS = new TreeMap<>(Map.ofEntries(
            Map.entry("AUD", false), // Australian dollar
            Map.entry("BRL", false), // Brazilian real (in-country accounts only)
            Map.entry("CAD", false), // Canadian dollar
            Map.entry("CNY", false), // Chinese Renmenbi (in-country accounts only)
            Map.entry("CZK", false), // Czech koruna
            Map.entry("DKK", false), // Danish krone
            Map.entry("EUR", false), // Euro
            Map.entry("HKD", false), // Hong Kong dollar
            Map.entry("HUF", true), // Hungarian forint: no decimals
            Map.entry("ILS", false), // Israeli new shekel
            Map.entry("JPY", true), // Japanese yen: no decimals
            Map.entry("MYR", false), // Malaysian ringgit (in-country accounts only)
            Map.entry("MXN", false), // Mexican peso
            Map.entry("TWD", true), // New Taiwan dollar: no decimals
            Map.entry("NZD", false), // New Zealand dollar
            Map.entry("NOK", false), // Norwegian krone
            Map.entry("PHP", false), // Philippine peso
            Map.entry("PLN", false), // Polish zloty
            Map.entry("GBP", false), // Pound sterling
            Map.entry("RUB", false), // Russian ruble
            Map.entry("SGD", false), // Singapore dollar
            Map.entry("SEK", false), // Swedish krona
            Map.entry("CHF", false), // Swiss franc
            Map.entry("THB", false), // Thai baht
            Map.entry("USD", false))); // United States dollar

    /** ISO 4217's minor unit for the same 25 (the pipeline's minor units): 0 for JPY, 2 for the rest. */
    private static final Map<String, Integer> ISO_MINOR_UNIT = isoMinorUnits();

    private static Map<String, Integer> isoMinorUnits() {
        Map<String, Integer> m = new TreeMap<>();
        for (String code : PAYPAL_NO_DECIMALS.keySet()) {
            m.put(code, code.equals("JPY") ? 0 : 2);
        }
        return m;
    }

    @Test
    void theAdaptersTableIsPayPalsDocumentedOne() {
        assertThat(new TreeMap<>(PayPalAmounts.EXPONENTS).keySet())
                .containsExactlyElementsOf(PAYPAL_NO_DECIMALS.keySet());
        PAYPAL_NO_DECIMALS.forEach((code, noDecimals) ->
                assertThat(PayPalAmounts.exponent(code)).as(code).isEqualTo(noDecimals ? 0 : 2));
        // Why the table exists: the JDK gives HUF and TWD two decimals, which PayPal refuses.
        assertThat(Currency.getInstance("HUF").getDefaultFractionDigits()).isEqualTo(2);
        assertThat(Currency.getInstance("TWD").getDefaultFractionDigits()).isEqualTo(2);
        // The pipeline's minor units are ISO's: the oracle below is only right if they are.
        ISO_MINOR_UNIT.forEach(
                (code, digits) -> assertThat(Currency.getInstance(code).getDefaultFractionDigits())
                        .as(code)
                        .isEqualTo(digits));
    }

    @Test
    void theAmountsPayPalCannotTakeExactlyAreRefusedAndNeverRounded() {
        assertThat(PayPalAmounts.toPayPal(123_400, "HUF")).isEqualTo(new PayPalAmounts.Value("1234"));
        assertThat(PayPalAmounts.toPayPal(123_450, "HUF")).isInstanceOfSatisfying(PayPalAmounts.Refused.class, r -> {
            assertThat(r.refusal()).isEqualTo(PayPalAmounts.Refusal.DECIMALS_NOT_SUPPORTED);
            assertThat(r.refusal().failureCode()).isEqualTo("paypal_decimals_not_supported");
            assertThat(r.reason()).contains("HUF 1234.50");
        });
        assertThat(PayPalAmounts.toPayPal(123_401, "TWD")).isInstanceOf(PayPalAmounts.Refused.class);
        assertThat(PayPalAmounts.toPayPal(5_000, "TWD")).isEqualTo(new PayPalAmounts.Value("50"));
        assertThat(PayPalAmounts.toPayPal(1_999, "JPY")).isEqualTo(new PayPalAmounts.Value("1999"));
        assertThat(PayPalAmounts.toPayPal(1_999, "USD")).isEqualTo(new PayPalAmounts.Value("19.99"));
        assertThat(PayPalAmounts.toPayPal(5, "EUR")).isEqualTo(new PayPalAmounts.Value("0.05"));
        assertThat(PayPalAmounts.toPayPal(1_000, "USD")).isEqualTo(new PayPalAmounts.Value("10.00"));
    }

    @Test
    void everyDocumentedCurrencyConvertsAsTheTableSays() {
        long[] amounts = {1, 5, 99, 100, 101, 1_999, 10_000, 123_400, 123_450, 999_999_900, Long.MAX_VALUE};
        for (String code : PAYPAL_NO_DECIMALS.keySet()) {
            int payPal = PAYPAL_NO_DECIMALS.get(code) ? 0 : 2;
            int iso = ISO_MINOR_UNIT.get(code);
            long unit = pow10(iso - payPal);
            for (long minor : amounts) {
                PayPalAmounts.Result r = PayPalAmounts.toPayPal(minor, code);
                if (minor % unit != 0) {
                    assertThat(r)
                            .as(code + " " + minor)
                            .isInstanceOfSatisfying(
                                    PayPalAmounts.Refused.class,
                                    f -> assertThat(f.refusal())
                                            .isEqualTo(PayPalAmounts.Refusal.DECIMALS_NOT_SUPPORTED));
                } else {
                    long whole = minor / pow10(iso);
                    long fraction = (minor % pow10(iso)) / unit;
                    String expected =
                            payPal == 0 ? Long.toString(whole) : whole + "." + String.format("%02d", fraction);
                    assertThat(r).as(code + " " + minor).isEqualTo(new PayPalAmounts.Value(expected));
                }
            }
        }
    }

    @Test
    void everyOtherCurrencyIsRefusedAsNotSupported() {
        int others = 0;
        for (Currency c : Currency.getAvailableCurrencies()) {
            if (PAYPAL_NO_DECIMALS.containsKey(c.getCurrencyCode())) {
                continue;
            }
            others++;
            assertThat(PayPalAmounts.toPayPal(1_000, c.getCurrencyCode()))
                    .as(c.getCurrencyCode())
                    .isInstanceOfSatisfying(
                            PayPalAmounts.Refused.class,
                            r -> assertThat(r.refusal()).isEqualTo(PayPalAmounts.Refusal.CURRENCY_NOT_SUPPORTED));
        }
        assertThat(others).isGreaterThan(100);
        for (String odd : new String[] {"KWD", "INR", "usd", "", "US", "USDX", "\u0000\u0001\u0002"}) {
            assertThat(PayPalAmounts.toPayPal(1_000, odd)).as(odd).isInstanceOf(PayPalAmounts.Refused.class);
        }
        assertThat(PayPalAmounts.toPayPal(1_000, null)).isInstanceOf(PayPalAmounts.Refused.class);
    }

    /**
     * The adapter declines what PayPal cannot take without calling PayPal at all: not for a token,
     * not for an order. Its base URL is a server here that counts every request it gets.
     */
    @Test
    void theAdapterDeclinesThemWithoutAnyCall() throws Exception {
        Vertx vertx = Vertx.vertx();
        AtomicInteger requests = new AtomicInteger();
        try (ServiceMetrics service = new ServiceMetrics()) {
            HttpServer server = vertx.createHttpServer()
                    .requestHandler(r -> {
                        requests.incrementAndGet();
                        r.response().setStatusCode(500).end();
                    })
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            PayPalProvider provider = new PayPalProvider(
                    vertx,
                    new PayPalProvider.Options(
                            "http://127.0.0.1:" + server.actualPort(),
                            "id",
                            "secret",
                            new ProviderLimits(4, 4, 100),
                            500,
                            10,
                            50,
                            1_500),
                    new ProcessorMeters(service));
            List<Charge> charges = List.of(
                    new Charge("pay_huf", 123_450, "HUF", "cus_1", "pm_card_visa", "default", null),
                    new Charge("pay_kwd", 1_999, "KWD", "cus_1", "pm_card_visa", "default", null),
                    new Charge("pay_twd", 1, "TWD", "cus_1", "pm_card_visa", "default", "ORDER1"));
            for (boolean prepare : new boolean[] {true, false}) {
                CompletableFuture<List<ChargeResult>> done = new CompletableFuture<>();
                vertx.getOrCreateContext()
                        .runOnContext(v -> (prepare ? provider.prepare(charges) : provider.charge(charges))
                                .onComplete(ar -> {
                                    if (ar.succeeded()) {
                                        done.complete(ar.result());
                                    } else {
                                        done.completeExceptionally(ar.cause());
                                    }
                                }));
                List<ChargeResult> results = done.get(10, TimeUnit.SECONDS);
                assertThat(results).extracting(ChargeResult::verdict).containsOnly(Verdict.FAILED);
                assertThat(results)
                        .extracting(ChargeResult::failureCode)
                        .containsExactly(
                                "paypal_decimals_not_supported",
                                "paypal_currency_not_supported",
                                "paypal_decimals_not_supported");
                assertThat(results.get(0).detail()).contains("HUF 1234.50");
            }
            assertThat(requests.get()).isZero();
            assertThat(service.scrape()).containsPattern("(?m)^provider_calls_total 0(\\.0)?$");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }
}
