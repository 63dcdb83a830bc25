package com.streamsocial.billing.processor.psp;

/**
 * No outcome is known for a charge: the provider kept answering with transient errors (timeouts,
 * 5xx, 429, 409 in use) until the batch's deadline. Never an outcome: the batch is retried later.
 */
public final class ProviderUnavailableException extends RuntimeException {
    public ProviderUnavailableException(String message) {
        super(message);
    }
}
