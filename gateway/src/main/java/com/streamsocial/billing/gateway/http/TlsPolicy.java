package com.streamsocial.billing.gateway.http;

import io.vertx.core.net.TCPSSLOptions;
import java.util.List;
import java.util.Set;

/**
 * The API listener's TLS, stated rather than inherited from the JDK's defaults: TLS 1.2 and 1.3 only,
 * and only forward-secret AEAD cipher suites (ECDHE with AES-GCM or ChaCha20-Poly1305 for 1.2; the
 * three suites of 1.3). A client offering only older protocols or CBC/RSA-key-exchange suites fails
 * the handshake. Pure: it configures the options it is given.
 */
public final class TlsPolicy {
    public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private TlsPolicy() {}

    /** Sets {@link #PROTOCOLS} and {@link #CIPHER_SUITES} on {@code options}, replacing what was there. */
    public static <T extends TCPSSLOptions> T apply(T options) {
        options.setEnabledSecureTransportProtocols(PROTOCOLS);
        for (String suite : CIPHER_SUITES) {
            options.addEnabledCipherSuite(suite);
        }
        return options;
    }
}
