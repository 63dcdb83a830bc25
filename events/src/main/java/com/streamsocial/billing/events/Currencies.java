package com.streamsocial.billing.events;

import java.util.Set;

/**
 * The currencies this service accepts: ISO 4217 alpha-3 codes of active currencies (the list
 * maintained by SIX, amendment 179) with an exponent {@link DecimalAmounts} knows, so that every
 * accepted amount has a minor unit. The gateway refuses, and the event decoder rejects, any other. A
 * provider may take fewer: the PayPal adapter declines what PayPal's own table cannot take.
 */
public final class Currencies {
    private Currencies() {}

    private static final Set<String> ACTIVE = Set.of(
            "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
            "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW",
            "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
            "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG",
            "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
            "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
            "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
            "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR",
            "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
            "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW",
            "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG");

    /**
     * An active code with an exponent in this JVM's ISO 4217 table. One active code lacks it on JDK
     * 17.0.15 (UYW, added to ISO 4217 in 2018 but not to that table): it is refused, since no amount in
     * it can be written as a decimal exactly.
     */
    public static boolean isActive(String code) {
        return code != null && ACTIVE.contains(code) && DecimalAmounts.convertible(code);
    }
}
